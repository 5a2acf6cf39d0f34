// The Ed25519 key that signs audit checkpoints. It lives in its own file, apart from the
// database, with mode 0600: whoever can rewrite the database but not read this file cannot
// forge a checkpoint. The public key is written beside it (<path>.pub) for verifiers.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import { readPrivateFile } from './private-file.js';

export interface AuditSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM of the public key, stored with each checkpoint. */
  publicKeyPem: string;
}

export function defaultAuditSigningKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', 'audit-signing.key');
}

/** The signing key file a configuration uses (security.audit.signing_key_file, else the default). */
export function auditSigningKeyPathOf(config: { data_dir: string; security: { audit: { signing_key_file?: string | undefined } } }): string {
  return config.security.audit.signing_key_file ?? defaultAuditSigningKeyPath(config.data_dir);
}

/** Loads the signing key, generating it (mode 0600, folder 0700) on first use. */
export function loadOrCreateAuditSigningKey(path: string): AuditSigningKey {
  if (!existsSync(path)) generate(path);
  const pem = readPrivateFile(path, 'audit signing key file', ERROR_CODES.CONFIG_FILE);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (cause) {
    throw new SecureSphereError(ERROR_CODES.CONFIG_FILE, `The audit signing key file ${path} is not a valid PEM private key.`, { cause });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new SecureSphereError(ERROR_CODES.CONFIG_FILE, `The audit signing key in ${path} is not an Ed25519 key.`);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * The public key for `audit verify`: derived from the private key file when present (the
 * stronger source), else read from <path>.pub. Never generates a key: a verifier must not
 * invent its own trust anchor.
 */
export function loadAuditPublicKey(signingKeyPath: string): KeyObject {
  if (existsSync(signingKeyPath)) return loadOrCreateAuditSigningKey(signingKeyPath).publicKey;
  const pubPath = `${signingKeyPath}.pub`;
  if (!existsSync(pubPath)) {
    throw new SecureSphereError(
      ERROR_CODES.AUDIT_BROKEN,
      `No audit signing key at ${signingKeyPath} (nor ${pubPath}): cannot check checkpoint signatures. Point security.audit.signing_key_file at the key the gateway uses.`,
    );
  }
  try {
    return createPublicKey(readFileSync(pubPath));
  } catch (cause) {
    throw new SecureSphereError(ERROR_CODES.CONFIG_FILE, `The audit public key file ${pubPath} is not a valid PEM public key.`, { cause });
  }
}

function generate(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  try {
    // 'wx': never overwrite a key another process created a moment ago.
    writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new SecureSphereError(ERROR_CODES.CONFIG_FILE, `Cannot create the audit signing key file ${path}: check that its folder is writable.`, { cause });
  }
  // 0600 like everything in the data directory; a verifier elsewhere gets a copy.
  writeFileSync(`${path}.pub`, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o600 });
}
