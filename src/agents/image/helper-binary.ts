// Compiles the in-agent helper (agent-helper.c) into a static binary on the host. The same
// binary goes into the agent image (build-image.ts) and is run by the bubblewrap backend.
// Static, so it does not depend on the image's C library. Cached by the hash of source and
// flags: a change to either makes a new binary; concurrent builders never see a half file.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ERROR_CODES, SecureSphereError, describeError } from '../../core/errors.js';

const run = promisify(execFile);

export const HELPER_SOURCE = 'agent-helper.c';
export const CFLAGS = ['-static', '-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-Wshadow', '-D_FORTIFY_SOURCE=2', '-fstack-protector-strong'];

/** The folder holding the Dockerfile and the helper source (works from src/ under tsx and from dist/). */
export function imageContextDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [here, join(here, '..', '..', '..', '..', 'src', 'agents', 'image')];
  for (const dir of candidates) if (existsSync(join(dir, HELPER_SOURCE))) return dir;
  throw new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, `${HELPER_SOURCE} not found near ${here}: reinstall SecureSphere.`);
}

/** Hash of what makes the binary: source and compiler flags. */
export function helperSourceSha256(): string {
  return createHash('sha256')
    .update(readFileSync(join(imageContextDir(), HELPER_SOURCE)))
    .update(CFLAGS.join(' '))
    .digest('hex');
}

function cacheDir(): string {
  return process.env.SECURESPHERE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'securesphere');
}

const building = new Map<string, Promise<string>>();

/** Path of the compiled helper, compiling it first if this source has not been compiled yet. */
export function helperBinary(): Promise<string> {
  const sha = helperSourceSha256();
  const out = join(cacheDir(), `agent-helper-${sha.slice(0, 16)}`);
  if (existsSync(out)) return Promise.resolve(out);
  let pending = building.get(out);
  if (!pending) {
    pending = compile(out).finally(() => building.delete(out));
    building.set(out, pending);
  }
  return pending;
}

async function compile(out: string): Promise<string> {
  mkdirSync(dirname(out), { recursive: true, mode: 0o755 });
  const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
  try {
    await run(process.env.CC ?? 'gcc', [...CFLAGS, '-o', tmp, join(imageContextDir(), HELPER_SOURCE)], { timeout: 120_000 });
    renameSync(tmp, out);
    return out;
  } catch (cause) {
    rmSync(tmp, { force: true });
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SecureSphereError(
      ERROR_CODES.SANDBOX_UNAVAILABLE,
      missing
        ? 'Cannot compile the agent helper: no C compiler. Install one with `apt-get install gcc libc6-dev` (scripts/setup-sandbox.sh does).'
        : `Cannot compile the agent helper: ${describeError(cause).slice(0, 800)}. Install gcc and libc6-dev (static libc).`,
      { cause },
    );
  }
}
