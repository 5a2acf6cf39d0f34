// Where the vault's master key comes from: a string handed over by the config/CLI layer
// (from SECURESPHERE_MASTER_KEY; this module never reads the environment) or a key file
// that must be private to its owner. No key at all means the vault starts sealed.
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import { readPrivateFile } from '../private-file.js';

export const MIN_MASTER_KEY_LENGTH = 12;

export type KeySource = { kind: 'master-key'; key: Buffer } | { kind: 'key-file'; key: Buffer; path: string } | { kind: 'none' };

export function resolveKeySource(masterKey: string | undefined, keyFile: string | undefined): KeySource {
  // An explicit master key (the environment) wins over the configured file, as env overrides config.
  if (masterKey !== undefined && masterKey !== '') return { kind: 'master-key', key: checkedKey(Buffer.from(masterKey, 'utf8'), 'SECURESPHERE_MASTER_KEY') };
  if (keyFile !== undefined && keyFile !== '') {
    const raw = readPrivateFile(keyFile, 'vault key file', ERROR_CODES.VAULT);
    return { kind: 'key-file', path: keyFile, key: checkedKey(stripNewline(raw), `the vault key file ${keyFile}`) };
  }
  return { kind: 'none' };
}

export function checkedKey(key: Buffer, what: string): Buffer {
  if (key.length < MIN_MASTER_KEY_LENGTH) {
    throw new SecureSphereError(ERROR_CODES.VAULT, `The master key in ${what} is too short: use at least ${MIN_MASTER_KEY_LENGTH} characters (32 random bytes recommended).`);
  }
  return key;
}

/** Editors add a final newline to a key file; it is not part of the key. */
function stripNewline(buf: Buffer): Buffer {
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0a) end -= 1;
  if (end > 0 && buf[end - 1] === 0x0d) end -= 1;
  return buf.subarray(0, end);
}
