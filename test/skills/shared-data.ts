// Locates ../shared/data/security (next to the repository root) and reads its JSONL files.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SHARED_SECURITY_DIR = fileURLToPath(new URL('../../../shared/data/security/', import.meta.url));

export function readJsonl<T>(name: string): T[] {
  const file = `${SHARED_SECURITY_DIR}${name}`;
  if (!existsSync(file)) throw new Error(`shared test data missing: ${file} (see ../shared/README.md)`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
