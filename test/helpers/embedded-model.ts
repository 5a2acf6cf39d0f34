// Where the tests find the real embedded model: SECURESPHERE_TEST_MODEL, else the one the
// README's test set-up pulls into ./data/models (`securesphere model pull`). Missing, the tests
// that need it skip, except under REQUIRE_SANDBOX=1 (CI), where a missing model is a failure.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PULLED = fileURLToPath(new URL('../../data/models/smollm2-135m-instruct.gguf', import.meta.url));

export function embeddedTestModel(): string | undefined {
  const file = process.env.SECURESPHERE_TEST_MODEL || PULLED;
  if (existsSync(file)) return file;
  if (process.env.REQUIRE_SANDBOX === '1') {
    throw new Error(`The embedded test model is missing (${file}): run \`bash scripts/setup.sh --test\`, which pulls it, or set SECURESPHERE_TEST_MODEL.`);
  }
  return undefined;
}
