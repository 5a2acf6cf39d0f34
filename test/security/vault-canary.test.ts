// Canary: a secret set in the vault never appears in audit rows (even when a caller puts it
// into details), in vault list/status output, or in the exported audit log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/database.js';
import { createAuditChain } from '../../src/security/audit-chain.js';
import { loadAuditPublicKey } from '../../src/security/audit-signing-key.js';
import { verifyAuditChain } from '../../src/security/audit-verify.js';
import { createSecretRedactor } from '../../src/security/secret-redactor.js';
import { createVault } from '../../src/security/vault/vault.js';

const CANARY = 'canary-7f3a9c2e-do-not-leak';
const KEY = 'canary test master key';
let dir: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-canary-'));
  db = openDatabase(join(dir, 'data'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function auditRowsText(): string {
  return JSON.stringify(db.prepare('SELECT * FROM audit_events').all()) + JSON.stringify(db.prepare('SELECT * FROM audit_checkpoints').all());
}

function leakyDetails(): Record<string, unknown> {
  return {
    header: `Authorization: Bearer ${CANARY}`,
    nested: { deeper: [{ token: CANARY }, `x${CANARY}y`] },
    [CANARY]: 'as a key',
    encoded: Buffer.from(CANARY).toString('base64'),
    url: `https://example.test/?t=${encodeURIComponent(CANARY)}`,
  };
}

it('a vault secret never reaches audit rows, exports, list or status', () => {
  const keyPath = join(dir, 'keys', 'audit.key');
  const redactor = createSecretRedactor();
  const vault = createVault({ db, masterKey: KEY, redactor });
  const audit = createAuditChain({ db, signingKeyPath: keyPath, checkpointEvery: 2, redactor });
  vault.set('TELEGRAM_TOKEN', CANARY);
  audit.append({ type: 'secret-set', actor: 'admin', details: { name: 'TELEGRAM_TOKEN', value: CANARY } });
  audit.append({ type: 'tool-call', actor: 'bot', conversationId: 'c1', details: leakyDetails() });
  audit.checkpoint();

  expect(auditRowsText()).not.toContain(CANARY);
  expect(auditRowsText()).not.toContain(Buffer.from(CANARY).toString('base64').replace(/=+$/, ''));
  expect([...audit.exportJsonl()].join('\n')).not.toContain(CANARY);
  expect(JSON.stringify(audit.tail(10))).toContain('[REDACTED]');
  expect(JSON.stringify(vault.list())).not.toContain(CANARY);
  expect(JSON.stringify(vault.status())).not.toContain(CANARY);
  expect(verifyAuditChain(db, loadAuditPublicKey(keyPath)).ok).toBe(true);
});

it('after a restart, the vault preloads a fresh redactor before the secret is used', () => {
  createVault({ db, masterKey: KEY }).set('PROVIDER_KEY', CANARY);
  const redactor = createSecretRedactor();
  createVault({ db, masterKey: KEY, redactor });
  const audit = createAuditChain({ db, signingKeyPath: join(dir, 'keys', 'audit.key'), checkpointEvery: 10, redactor });
  audit.append({ type: 'provider-error', actor: 'gateway', details: leakyDetails() });
  expect(auditRowsText()).not.toContain(CANARY);
  expect(redactor.redact(`key=${CANARY}`)).toBe('key=[REDACTED]');
});
