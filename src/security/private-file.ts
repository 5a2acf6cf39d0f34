// Reading key files safely: a key file readable by group or others is refused with a message
// that says how to fix it, rather than silently trusted.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { SecureSphereError, type ErrorCode } from '../core/errors.js';

/** Reads a file that must be private to its owner; refuses one readable by group or others. */
export function readPrivateFile(path: string, what: string, code: ErrorCode): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (cause) {
    throw new SecureSphereError(code, `Cannot open the ${what} ${path}: check the path and that this user can read it.`, { cause });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new SecureSphereError(code, `The ${what} ${path} is not a regular file.`);
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new SecureSphereError(
        code,
        `The ${what} ${path} has mode ${mode}, so other users can read it. Refusing to use it: run \`chmod 600 ${path}\` and start again.`,
      );
    }
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
