// The encrypted vault: channel tokens, provider keys and skill credentials, stored in SQLite
// under AES-256-GCM (see vault-crypto.ts). Without a master key the vault is SEALED: metadata
// (names, versions, dates) can be listed and removed, values can be neither read nor written.
// Every value read or written is registered with the secret redactor, so it is scrubbed from
// audit events and logs. Values never appear in errors, list output or status.
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import type { Db } from '../../store/database.js';
import type { SecretRedactor } from '../secret-redactor.js';
import {
  checkMatches,
  deriveVaultKeys,
  newKdfParams,
  openValue,
  sealValue,
  type KdfParams,
  type SealedValue,
  type VaultKeys,
} from './vault-crypto.js';
import { checkedKey, resolveKeySource } from './vault-key-source.js';

export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_VALUE_BYTES = 64 * 1024;

export interface VaultEntry {
  name: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface VaultStatus {
  sealed: boolean;
  /** A master key has been set up for this database (salt and key check stored). */
  initialized: boolean;
  secrets: number;
  keySource: 'master-key' | 'key-file' | null;
  /** One line for humans: what state the vault is in and, when sealed, how to unseal. */
  message: string;
}

export interface Vault {
  status(): VaultStatus;
  /** Store (or replace, bumping the version) a secret. */
  set(name: string, value: string): VaultEntry;
  /** The plaintext; throws NOT_FOUND when absent, VAULT_SEALED when sealed. */
  get(name: string): string;
  has(name: string): boolean;
  /** Names, versions and dates only. Works while sealed. */
  list(): VaultEntry[];
  /** Remove a secret; false when there was none. Works while sealed. */
  rm(name: string): boolean;
  /** Re-encrypt every secret under a new master key, in one transaction. */
  rotateKey(newMasterKey: string | Buffer): void;
}

export interface VaultOptions {
  db: Db;
  /** From SECURESPHERE_MASTER_KEY, passed in by the config/CLI layer. Wins over keyFile. */
  masterKey?: string | undefined;
  /** A file holding the master key; must have mode 0600 (config security.vault.key_file). */
  keyFile?: string | undefined;
  /** Every value read or written is added to it. */
  redactor?: SecretRedactor;
  now?: () => number;
}

export const UNSEAL_HINT =
  'Set SECURESPHERE_MASTER_KEY, or point security.vault.key_file at a file with mode 0600 holding the master key, then restart.';

interface SecretRow {
  name: string;
  version: number;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  created_at: number;
  updated_at: number;
}

export function validateSecretName(name: string): string {
  if (typeof name !== 'string' || !SECRET_NAME_PATTERN.test(name)) {
    // The name is hostile input: do not echo it back.
    throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, 'Invalid secret name: use 1-64 characters from A-Z a-z 0-9 _ . -');
  }
  return name;
}

export function createVault(options: VaultOptions): Vault {
  const { db, redactor } = options;
  const now = options.now ?? Date.now;
  const source = resolveKeySource(options.masterKey, options.keyFile);

  const readParams = (): KdfParams | undefined => {
    const row = db.prepare("SELECT value FROM vault_meta WHERE key = 'kdf'").pluck().get() as string | undefined;
    return row === undefined ? undefined : (JSON.parse(row) as KdfParams);
  };
  const writeParams = (p: KdfParams) =>
    db.prepare("INSERT INTO vault_meta (key, value) VALUES ('kdf', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(JSON.stringify(p));
  const selectOne = db.prepare('SELECT * FROM vault_secrets WHERE name = ?');
  const selectAll = db.prepare('SELECT * FROM vault_secrets ORDER BY name');
  const upsert = db.prepare(
    `INSERT INTO vault_secrets (name, version, nonce, ciphertext, tag, created_at, updated_at)
     VALUES (@name, @version, @nonce, @ciphertext, @tag, @now, @now)
     ON CONFLICT (name) DO UPDATE SET version = excluded.version, nonce = excluded.nonce,
       ciphertext = excluded.ciphertext, tag = excluded.tag, updated_at = excluded.updated_at`,
  );

  let keys: VaultKeys | undefined;
  if (source.kind !== 'none') {
    // IMMEDIATE so two processes opening a fresh vault cannot both create a salt.
    keys = db.transaction(() => {
      const existing = readParams();
      if (!existing) {
        if ((db.prepare('SELECT count(*) FROM vault_secrets').pluck().get() as number) > 0) {
          throw new SecureSphereError(ERROR_CODES.VAULT, 'The vault holds secrets but its key metadata (vault_meta) is missing: restore the database from a backup.');
        }
        const created = newKdfParams(source.key);
        writeParams(created.params);
        return created.keys;
      }
      const derived = deriveVaultKeys(source.key, existing);
      if (!checkMatches(derived, existing)) {
        const from = source.kind === 'key-file' ? `the key file ${source.path}` : 'SECURESPHERE_MASTER_KEY';
        throw new SecureSphereError(
          ERROR_CODES.VAULT,
          `The master key from ${from} does not match this vault (key check failed). Use the key the vault was created with, or the new one if it was rotated.`,
        );
      }
      return derived;
    }).immediate();
  }

  const requireKeys = (): VaultKeys => {
    if (!keys) throw new SecureSphereError(ERROR_CODES.VAULT_SEALED, `The vault is sealed: no master key was given. ${UNSEAL_HINT}`);
    return keys;
  };

  const decrypt = (k: VaultKeys, row: SecretRow): string => {
    try {
      return openValue(k.encKey, row.name, row.version, row as SealedValue);
    } catch (cause) {
      const current = readParams();
      const rotated = current !== undefined && !checkMatches(k, current);
      throw new SecureSphereError(
        ERROR_CODES.VAULT,
        rotated
          ? 'The vault key was rotated by another process: restart with the new master key.'
          : `Secret ${row.name} cannot be decrypted: its stored value was altered. Set it again with \`securesphere vault set ${row.name}\`.`,
        { cause },
      );
    }
  };

  const toEntry = (row: Pick<SecretRow, 'name' | 'version' | 'created_at' | 'updated_at'>): VaultEntry => ({
    name: row.name,
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  });

  // Known values go to the redactor at once, so they are scrubbed even before first use.
  if (keys && redactor) {
    for (const row of selectAll.all() as SecretRow[]) {
      try {
        redactor.add(decrypt(keys, row));
      } catch {
        // An unreadable value is reported when it is read; it cannot leak from here.
      }
    }
  }

  const setTx = db.transaction((k: VaultKeys, name: string, value: string): VaultEntry => {
    const prev = selectOne.get(name) as SecretRow | undefined;
    const version = (prev?.version ?? 0) + 1;
    const t = now();
    upsert.run({ name, version, now: t, ...sealValue(k.encKey, name, version, value) });
    return { name, version, createdAt: new Date(prev?.created_at ?? t), updatedAt: new Date(t) };
  });

  const rotateTx = db.transaction((oldKeys: VaultKeys, fresh: ReturnType<typeof newKdfParams>): VaultKeys => {
    const current = readParams();
    if (!current || !checkMatches(oldKeys, current)) {
      throw new SecureSphereError(ERROR_CODES.VAULT, 'The vault key was changed by another process; restart with the current master key and try again.');
    }
    const t = now();
    for (const row of selectAll.all() as SecretRow[]) {
      const value = decrypt(oldKeys, row);
      upsert.run({ name: row.name, version: row.version, now: t, ...sealValue(fresh.keys.encKey, row.name, row.version, value) });
    }
    writeParams(fresh.params);
    return fresh.keys;
  });

  return {
    status() {
      const secrets = db.prepare('SELECT count(*) FROM vault_secrets').pluck().get() as number;
      const initialized = readParams() !== undefined;
      const keySource = source.kind === 'none' ? null : source.kind;
      const message = keys
        ? `The vault is unsealed (${secrets} secret${secrets === 1 ? '' : 's'}).`
        : `The vault is sealed: no master key was given. ${UNSEAL_HINT}`;
      return { sealed: !keys, initialized, secrets, keySource, message };
    },
    set(name, value) {
      validateSecretName(name);
      const k = requireKeys();
      if (typeof value !== 'string' || value.length === 0) {
        throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `The value for secret ${name} is empty.`);
      }
      if (Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES) {
        throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `The value for secret ${name} is larger than ${MAX_VALUE_BYTES} bytes.`);
      }
      redactor?.add(value);
      return setTx.immediate(k, name, value);
    },
    get(name) {
      validateSecretName(name);
      const k = requireKeys();
      const row = selectOne.get(name) as SecretRow | undefined;
      if (!row) {
        throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No secret named ${name} in the vault: add it with \`securesphere vault set ${name}\`.`);
      }
      const value = decrypt(k, row);
      redactor?.add(value);
      return value;
    },
    has(name) {
      validateSecretName(name);
      return selectOne.get(name) !== undefined;
    },
    list() {
      const rows = db.prepare('SELECT name, version, created_at, updated_at FROM vault_secrets ORDER BY name').all() as SecretRow[];
      return rows.map(toEntry);
    },
    rm(name) {
      validateSecretName(name);
      return db.prepare('DELETE FROM vault_secrets WHERE name = ?').run(name).changes > 0;
    },
    rotateKey(newMasterKey) {
      const k = requireKeys();
      const newKey = checkedKey(typeof newMasterKey === 'string' ? Buffer.from(newMasterKey, 'utf8') : newMasterKey, 'the new master key');
      // scrypt runs before the transaction, so the write lock is held only for re-encryption.
      keys = rotateTx.immediate(k, newKdfParams(newKey));
    },
  };
}
