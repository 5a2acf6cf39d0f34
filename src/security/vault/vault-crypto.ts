// The vault's cryptography, kept small and separate so it can be read in one sitting:
// scrypt turns the master key into a root key; two HMAC-derived subkeys are used, one for
// AES-256-GCM and one for the key-check value that detects a wrong master key at open.
// Every value gets a fresh 12-byte nonce; its name and version are the associated data, so a
// ciphertext copied onto another name or version fails to decrypt.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';

export interface KdfParams {
  v: 1;
  N: number;
  r: number;
  p: number;
  /** base64 salt */
  salt: string;
  /** base64 HMAC(check key, constant): tells a wrong master key apart at open. */
  check: string;
}

export interface VaultKeys {
  encKey: Buffer;
  check: Buffer;
}

export interface SealedValue {
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

export const DEFAULT_SCRYPT_N = 1 << 15;
// Bounds on parameters read back from the database, so a tampered row cannot make start-up
// burn gigabytes of memory or accept a trivially weak derivation.
const MIN_N = 1 << 14;
const MAX_N = 1 << 20;

export function deriveVaultKeys(masterKey: Buffer, params: Pick<KdfParams, 'N' | 'r' | 'p' | 'salt'>): VaultKeys {
  const { N, r, p } = params;
  const pow2 = Number.isInteger(N) && (N & (N - 1)) === 0;
  if (!pow2 || N < MIN_N || N > MAX_N || r < 1 || r > 32 || p < 1 || p > 16) {
    throw new SecureSphereError(ERROR_CODES.VAULT, 'The vault key-derivation parameters stored in the database are invalid; the vault metadata was altered.');
  }
  const root = scryptSync(masterKey, Buffer.from(params.salt, 'base64'), 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  const sub = (label: string) => createHmac('sha256', root).update(label).digest();
  const checkKey = sub('securesphere-vault-check-v1');
  return {
    encKey: sub('securesphere-vault-enc-v1'),
    check: createHmac('sha256', checkKey).update('securesphere-vault-key-check').digest(),
  };
}

export function newKdfParams(masterKey: Buffer): { params: KdfParams; keys: VaultKeys } {
  const base = { N: DEFAULT_SCRYPT_N, r: 8, p: 1, salt: randomBytes(16).toString('base64') };
  const keys = deriveVaultKeys(masterKey, base);
  return { params: { v: 1, ...base, check: keys.check.toString('base64') }, keys };
}

export function checkMatches(keys: VaultKeys, params: KdfParams): boolean {
  const stored = Buffer.from(params.check, 'base64');
  return stored.length === keys.check.length && timingSafeEqual(stored, keys.check);
}

const associatedData = (name: string, version: number) => Buffer.from(`securesphere-vault-v1\0${name}\0${version}`, 'utf8');

export function sealValue(encKey: Buffer, name: string, version: number, value: string): SealedValue {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encKey, nonce);
  cipher.setAAD(associatedData(name, version));
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return { nonce, ciphertext, tag: cipher.getAuthTag() };
}

/** Throws (without detail) when the value was altered, moved, or sealed under another key. */
export function openValue(encKey: Buffer, name: string, version: number, sealed: SealedValue): string {
  const decipher = createDecipheriv('aes-256-gcm', encKey, sealed.nonce);
  decipher.setAAD(associatedData(name, version));
  decipher.setAuthTag(sealed.tag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
}
