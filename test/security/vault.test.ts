// The encrypted vault against real SQLite files and real key files with real modes.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_CODES, isSecureSphereError } from '../../src/core/errors.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { createVault, type Vault } from '../../src/security/vault/vault.js';

const KEY = 'correct horse battery staple';
let dir: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-vault-'));
  db = openDatabase(join(dir, 'data'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function caught(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

function dbBytes(): string {
  const main = join(dir, 'data', 'securesphere.db');
  const parts = [main, `${main}-wal`].filter(existsSync).map((p) => readFileSync(p).toString('latin1'));
  return parts.join('');
}

describe('vault', () => {
  it('stores values encrypted and returns them', () => {
    const vault = createVault({ db, masterKey: KEY });
    vault.set('TELEGRAM_TOKEN', 'plain-token-value-123456');
    expect(vault.get('TELEGRAM_TOKEN')).toBe('plain-token-value-123456');
    expect(dbBytes()).not.toContain('plain-token-value-123456');
    const row = db.prepare('SELECT * FROM vault_secrets').get() as { nonce: Buffer; ciphertext: Buffer; tag: Buffer };
    expect(row.nonce.length).toBe(12);
    expect(row.tag.length).toBe(16);
  });

  it('uses a fresh nonce per value and bumps the version on replace', () => {
    const vault = createVault({ db, masterKey: KEY });
    vault.set('A', 'same-value-here');
    const first = db.prepare('SELECT nonce, ciphertext FROM vault_secrets WHERE name = ?').get('A') as { nonce: Buffer; ciphertext: Buffer };
    const entry = vault.set('A', 'same-value-here');
    const second = db.prepare('SELECT nonce, ciphertext FROM vault_secrets WHERE name = ?').get('A') as { nonce: Buffer; ciphertext: Buffer };
    expect(entry.version).toBe(2);
    expect(second.nonce.equals(first.nonce)).toBe(false);
    expect(second.ciphertext.equals(first.ciphertext)).toBe(false);
    expect(vault.list()).toEqual([expect.objectContaining({ name: 'A', version: 2 })]);
  });

  it('binds each ciphertext to its name and version (associated data)', () => {
    const vault = createVault({ db, masterKey: KEY });
    vault.set('A', 'value-of-a-1234');
    vault.set('B', 'value-of-b-1234');
    db.prepare(`UPDATE vault_secrets SET nonce = (SELECT nonce FROM vault_secrets WHERE name = 'A'),
      ciphertext = (SELECT ciphertext FROM vault_secrets WHERE name = 'A'), tag = (SELECT tag FROM vault_secrets WHERE name = 'A') WHERE name = 'B'`).run();
    const moved = caught(() => vault.get('B'));
    expect(moved.code).toBe(ERROR_CODES.VAULT);
    expect(moved.message).not.toContain('value-of');
    db.prepare(`UPDATE vault_secrets SET version = 2 WHERE name = 'A'`).run();
    expect(caught(() => vault.get('A')).code).toBe(ERROR_CODES.VAULT);
  });

  it('lists names, versions and dates only, and removes', () => {
    let t = 1_700_000_000_000;
    const vault = createVault({ db, masterKey: KEY, now: () => t });
    vault.set('one', 'value-one-xyz');
    t += 1000;
    vault.set('two', 'value-two-xyz');
    const list = vault.list();
    expect(list.map((e) => Object.keys(e).sort())).toEqual([
      ['createdAt', 'name', 'updatedAt', 'version'],
      ['createdAt', 'name', 'updatedAt', 'version'],
    ]);
    expect(list[1]!.createdAt.getTime()).toBe(1_700_000_001_000);
    expect(vault.rm('one')).toBe(true);
    expect(vault.rm('one')).toBe(false);
    expect(vault.list().map((e) => e.name)).toEqual(['two']);
    expect(caught(() => vault.get('one')).code).toBe(ERROR_CODES.NOT_FOUND);
  });

  it('validates names', () => {
    const vault = createVault({ db, masterKey: KEY });
    for (const bad of ['', '../etc', 'a b', 'x'.repeat(65), 'name\n', 'ünicode']) {
      const err = caught(() => vault.set(bad, 'some-value'));
      expect(err.code).toBe(ERROR_CODES.BAD_REQUEST);
    }
    expect(vault.set('ok_name-1.2', 'some-value').version).toBe(1);
  });

  it('survives a restart', () => {
    createVault({ db, masterKey: KEY }).set('P', 'persisted-value');
    db.close();
    db = openDatabase(join(dir, 'data'));
    expect(createVault({ db, masterKey: KEY }).get('P')).toBe('persisted-value');
  });

  it('detects a wrong master key at open, without echoing it', () => {
    createVault({ db, masterKey: KEY }).set('P', 'persisted-value');
    const err = caught(() => createVault({ db, masterKey: 'a different master key' }));
    expect(err.code).toBe(ERROR_CODES.VAULT);
    expect(err.message).toMatch(/does not match/);
    expect(err.message).not.toContain('a different master key');
  });

  it('refuses to start over when the key metadata was deleted', () => {
    createVault({ db, masterKey: KEY }).set('P', 'persisted-value');
    db.prepare('DELETE FROM vault_meta').run();
    expect(caught(() => createVault({ db, masterKey: KEY })).message).toMatch(/metadata/);
  });

  it('refuses a too-short master key', () => {
    expect(caught(() => createVault({ db, masterKey: 'short' })).message).toMatch(/too short/);
  });

  it('starts sealed without a key, says how to unseal, and refuses get/set', () => {
    createVault({ db, masterKey: KEY }).set('P', 'persisted-value');
    const sealed: Vault = createVault({ db, masterKey: undefined });
    const status = sealed.status();
    expect(status).toMatchObject({ sealed: true, initialized: true, secrets: 1, keySource: null });
    expect(status.message).toMatch(/SECURESPHERE_MASTER_KEY/);
    const err = caught(() => sealed.get('P'));
    expect(isSecureSphereError(err, ERROR_CODES.VAULT_SEALED)).toBe(true);
    expect(err.message).toMatch(/key_file/);
    expect(caught(() => sealed.set('Q', 'whatever-value')).code).toBe(ERROR_CODES.VAULT_SEALED);
    expect(caught(() => sealed.rotateKey('another long key')).code).toBe(ERROR_CODES.VAULT_SEALED);
    expect(sealed.list().map((e) => e.name)).toEqual(['P']);
    expect(createVault({ db, masterKey: '' }).status().sealed).toBe(true);
  });

  it('reads the master key from a 0600 key file and refuses one readable by others', () => {
    const keyFile = join(dir, 'vault.key');
    writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
    const vault = createVault({ db, keyFile });
    expect(vault.status()).toMatchObject({ sealed: false, keySource: 'key-file' });
    vault.set('F', 'from-key-file');
    // The trailing newline is not part of the key: the same key given directly opens it.
    expect(createVault({ db, masterKey: KEY }).get('F')).toBe('from-key-file');

    chmodSync(keyFile, 0o640);
    const err = caught(() => createVault({ db, keyFile }));
    expect(err.code).toBe(ERROR_CODES.VAULT);
    expect(err.message).toMatch(/mode 0640/);
    expect(err.message).toMatch(/chmod 600/);
    chmodSync(keyFile, 0o604);
    expect(caught(() => createVault({ db, keyFile })).message).toMatch(/chmod 600/);
    expect(caught(() => createVault({ db, keyFile: join(dir, 'missing.key') })).code).toBe(ERROR_CODES.VAULT);
  });

  it('rotates the key, re-encrypting every secret', () => {
    const vault = createVault({ db, masterKey: KEY });
    vault.set('A', 'alpha-value');
    vault.set('B', 'beta-value');
    vault.set('B', 'beta-value-2');
    const before = db.prepare('SELECT name, version, ciphertext FROM vault_secrets ORDER BY name').all() as Array<{ name: string; version: number; ciphertext: Buffer }>;
    const saltBefore = db.prepare("SELECT value FROM vault_meta WHERE key = 'kdf'").pluck().get();
    vault.rotateKey('the new master key value');
    expect(vault.get('B')).toBe('beta-value-2');
    const after = db.prepare('SELECT name, version, ciphertext FROM vault_secrets ORDER BY name').all() as typeof before;
    expect(after.map((r) => [r.name, r.version])).toEqual(before.map((r) => [r.name, r.version]));
    expect(after.every((r, i) => !r.ciphertext.equals(before[i]!.ciphertext))).toBe(true);
    expect(db.prepare("SELECT value FROM vault_meta WHERE key = 'kdf'").pluck().get()).not.toBe(saltBefore);
    expect(caught(() => createVault({ db, masterKey: KEY })).message).toMatch(/does not match/);
    const reopened = createVault({ db, masterKey: 'the new master key value' });
    expect([reopened.get('A'), reopened.get('B')]).toEqual(['alpha-value', 'beta-value-2']);
  });

  it('rotation is all-or-nothing: a corrupt value aborts it and the old key keeps working', () => {
    const vault = createVault({ db, masterKey: KEY });
    vault.set('A', 'alpha-value');
    vault.set('B', 'beta-value');
    db.prepare(`UPDATE vault_secrets SET tag = zeroblob(16) WHERE name = 'B'`).run();
    expect(caught(() => vault.rotateKey('the new master key value')).code).toBe(ERROR_CODES.VAULT);
    expect(createVault({ db, masterKey: KEY }).get('A')).toBe('alpha-value');
  });

  it('an instance whose key was rotated by another process says so', () => {
    const a = createVault({ db, masterKey: KEY });
    a.set('A', 'alpha-value');
    const db2 = openDatabase(join(dir, 'data'));
    try {
      createVault({ db: db2, masterKey: KEY }).rotateKey('the new master key value');
    } finally {
      db2.close();
    }
    expect(caught(() => a.get('A')).message).toMatch(/rotated by another process/);
  });
});
