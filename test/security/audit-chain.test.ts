// The audit chain against a real SQLite file and a real key file. Each tampering is done
// directly in SQLite, as an attacker with write access to the database would (dropping the
// append-only triggers first), and verify must name the first bad seq.
import { createHash, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { isSecureSphereError } from '../../src/core/errors.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { createAuditChain, type AuditChain } from '../../src/security/audit-chain.js';
import { AUDIT_GENESIS_HASH } from '../../src/security/audit-format.js';
import { loadAuditPublicKey, defaultAuditSigningKeyPath } from '../../src/security/audit-signing-key.js';
import { verifyAuditChain } from '../../src/security/audit-verify.js';
import { createSecretRedactor } from '../../src/security/secret-redactor.js';

let dir: string;
let db: Db;
let keyPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-audit-'));
  db = openDatabase(join(dir, 'data'));
  keyPath = defaultAuditSigningKeyPath(join(dir, 'data'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function chainWith(n: number, checkpointEvery = 5): AuditChain {
  const chain = createAuditChain({ db, signingKeyPath: keyPath, checkpointEvery });
  for (let i = 1; i <= n; i++) {
    chain.append({ type: 'message-received', actor: `user-${i % 3}`, conversationId: i % 2 ? 'c1' : null, details: { i, text: `hello ${i}` } });
  }
  return chain;
}

const verify = () => verifyAuditChain(db, loadAuditPublicKey(keyPath));

/** Attacker with write access: drops the append-only triggers. */
function unlock(): void {
  db.exec('DROP TRIGGER IF EXISTS audit_events_no_update; DROP TRIGGER IF EXISTS audit_events_no_delete;');
}

/** Recomputes every hash from seq `from` on, as an attacker who knows the format would. */
function rehashFrom(from: number): void {
  const rows = db.prepare('SELECT * FROM audit_events WHERE seq >= ? ORDER BY seq').all(from) as Array<Record<string, unknown>>;
  let prev = from === 1 ? AUDIT_GENESIS_HASH : (db.prepare('SELECT hash FROM audit_events WHERE seq = ?').pluck().get(from - 1) as string);
  for (const r of rows) {
    const event = { seq: r.seq, time: r.time, actor: r.actor, conversationId: r.conversation_id, type: r.type, details: JSON.parse(r.details as string) };
    const hash = createHash('sha256').update(prev + canonicalJson(event)).digest('hex');
    db.prepare('UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, hash, r.seq);
    prev = hash;
  }
}

describe('audit chain: writing', () => {
  it('links every event to the previous one with SHA-256(prev_hash || canonical JSON)', () => {
    const chain = chainWith(3);
    const events = chain.list();
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(events[0]!.prevHash).toBe(AUDIT_GENESIS_HASH);
    let prev = AUDIT_GENESIS_HASH;
    for (const e of events) {
      const { prevHash, hash, ...rest } = e;
      expect(prevHash).toBe(prev);
      const expected = createHash('sha256').update(prev + canonicalJson(rest)).digest('hex');
      expect(hash).toBe(expected);
      prev = hash;
    }
    expect(chain.head()).toEqual({ seq: 3, hash: prev });
    expect(events[1]!.conversationId).toBeNull();
    expect(events[0]!.details).toEqual({ i: 1, text: 'hello 1' });
  });

  it('creates the signing key with mode 0600 apart from the database, and a public key beside it', () => {
    chainWith(1);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'data', 'keys')).mode & 0o077).toBe(0);
    expect(existsSync(`${keyPath}.pub`)).toBe(true);
    expect(readFileSync(`${keyPath}.pub`, 'utf8')).toContain('BEGIN PUBLIC KEY');
  });

  it('refuses a signing key file readable by others', () => {
    chainWith(1);
    chmodSync(keyPath, 0o644);
    let err: unknown;
    try {
      createAuditChain({ db, signingKeyPath: keyPath, checkpointEvery: 5 });
    } catch (e) {
      err = e;
    }
    expect(isSecureSphereError(err)).toBe(true);
    expect((err as Error).message).toMatch(/chmod 600/);
  });

  it('signs a checkpoint every N events and on demand, and keeps a signed head', () => {
    const chain = chainWith(12, 5);
    const seqs = db.prepare('SELECT seq FROM audit_checkpoints ORDER BY seq').pluck().all();
    expect(seqs).toEqual([5, 10]);
    const cp = chain.checkpoint();
    expect(cp?.seq).toBe(12);
    expect(db.prepare('SELECT seq FROM audit_checkpoints ORDER BY seq').pluck().all()).toEqual([5, 10, 12]);
    expect(db.prepare('SELECT seq FROM audit_head').pluck().get()).toBe(12);
    const result = verify();
    expect(result).toMatchObject({ ok: true, checkedEvents: 12, checkpoints: 3 });
  });

  it('is append-only for ordinary SQL (triggers)', () => {
    chainWith(2);
    expect(() => db.prepare("UPDATE audit_events SET actor = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_events WHERE seq = 1').run()).toThrow(/append-only/);
  });

  it('redacts known secrets from details before hashing, and still verifies', () => {
    const redactor = createSecretRedactor();
    redactor.add('sk-canary-4242-secret');
    const chain = createAuditChain({ db, signingKeyPath: keyPath, checkpointEvery: 5, redactor });
    chain.append({ type: 'tool-call', actor: 'bot', details: { args: { header: 'Bearer sk-canary-4242-secret' }, list: ['sk-canary-4242-secret'] } });
    const raw = JSON.stringify(db.prepare('SELECT * FROM audit_events').all());
    expect(raw).not.toContain('sk-canary-4242-secret');
    expect(chain.tail(1)[0]!.details).toEqual({ args: { header: 'Bearer [REDACTED]' }, list: ['[REDACTED]'] });
    expect(verify().ok).toBe(true);
  });

  it('rejects malformed events with a typed error', () => {
    const chain = chainWith(0);
    expect(() => chain.append({ type: '', actor: 'a' })).toThrow(/Audit event rejected/);
    expect(() => chain.append({ type: 't', actor: 'a', details: { n: 1n } as never })).toThrow(/JSON/);
    expect(chain.head().seq).toBe(0);
  });

  it('hostile ids (lone surrogates, NUL, unicode) do not break verification', () => {
    const chain = chainWith(0);
    chain.append({ type: 'message-received', actor: 'a\uD800b\u0000c', conversationId: '\uDFFF\u202Eroom', details: { t: 'x\uD83D', e: '😀' } });
    chain.append({ type: 'x', actor: '__proto__', conversationId: 'constructor' });
    expect(verify()).toMatchObject({ ok: true, checkedEvents: 2 });
    expect(chain.tail(2)[0]!.actor).toBe('a\uFFFDb\u0000c');
  });

  it('two connections appending to the same file keep one valid chain', () => {
    const db2 = openDatabase(join(dir, 'data'));
    try {
      const a = createAuditChain({ db, signingKeyPath: keyPath, checkpointEvery: 3 });
      const b = createAuditChain({ db: db2, signingKeyPath: keyPath, checkpointEvery: 3 });
      for (let i = 0; i < 10; i++) (i % 2 ? a : b).append({ type: 'x', actor: String(i) });
      expect(verify()).toMatchObject({ ok: true, checkedEvents: 10 });
    } finally {
      db2.close();
    }
  });

  it('tail, list and export', () => {
    const chain = chainWith(7);
    expect(chain.tail(2).map((e) => e.seq)).toEqual([6, 7]);
    expect(chain.list({ after: 3, limit: 2 }).map((e) => e.seq)).toEqual([4, 5]);
    const lines = [...chain.exportJsonl()];
    expect(lines).toHaveLength(7);
    expect(JSON.parse(lines[6]!)).toMatchObject({ seq: 7, type: 'message-received', hash: chain.head().hash });
  });
});

describe('audit chain: verify detects tampering done directly in SQLite', () => {
  it('an intact chain verifies', () => {
    chainWith(12);
    expect(verify()).toEqual({ ok: true, checkedEvents: 12, checkpoints: 2 });
  });

  it('an empty chain verifies', () => {
    chainWith(0);
    expect(verify()).toMatchObject({ ok: true, checkedEvents: 0 });
  });

  it('edited event', () => {
    chainWith(12);
    unlock();
    db.prepare(`UPDATE audit_events SET details = '{"i":7,"text":"goodbye"}' WHERE seq = 7`).run();
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 7, checkedEvents: 6 });
  });

  it('edited actor with the row hash recomputed (next link breaks)', () => {
    chainWith(12);
    unlock();
    db.prepare(`UPDATE audit_events SET actor = 'admin' WHERE seq = 4`).run();
    const r = db.prepare('SELECT * FROM audit_events WHERE seq = 4').get() as Record<string, unknown>;
    const event = { seq: 4, time: r.time, actor: 'admin', conversationId: r.conversation_id, type: r.type, details: JSON.parse(r.details as string) };
    const hash = createHash('sha256').update((r.prev_hash as string) + canonicalJson(event)).digest('hex');
    db.prepare('UPDATE audit_events SET hash = ? WHERE seq = 4').run(hash);
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 5 });
  });

  it('deleted event', () => {
    chainWith(12);
    unlock();
    db.prepare('DELETE FROM audit_events WHERE seq = 6').run();
    const result = verify();
    expect(result).toMatchObject({ ok: false, firstBadSeq: 6 });
    expect(result.reason).toMatch(/missing/);
  });

  it('inserted event in the middle (later events renumbered)', () => {
    chainWith(12);
    unlock();
    db.prepare('UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 4').run();
    db.prepare('UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1000').run();
    const prev = db.prepare('SELECT hash FROM audit_events WHERE seq = 3').pluck().get() as string;
    const event = { seq: 4, time: new Date().toISOString(), actor: 'intruder', conversationId: null, type: 'approval-granted', details: {} };
    const hash = createHash('sha256').update(prev + canonicalJson(event)).digest('hex');
    db.prepare('INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(4, event.time, event.actor, null, event.type, '{}', prev, hash);
    // The forged row itself links correctly; the first row that cannot is the one after it.
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 5 });
  });

  it('inserted event at the end with a correct hash (no signing key)', () => {
    const chain = chainWith(12);
    const head = chain.head();
    const event = { seq: 13, time: new Date().toISOString(), actor: 'intruder', conversationId: null, type: 'x', details: {} };
    const hash = createHash('sha256').update(head.hash + canonicalJson(event)).digest('hex');
    db.prepare('INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(13, event.time, event.actor, null, 'x', '{}', head.hash, hash);
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 13, checkedEvents: 13 });
  });

  it('reordered events', () => {
    chainWith(12);
    unlock();
    db.prepare('UPDATE audit_events SET seq = -1 WHERE seq = 8').run();
    db.prepare('UPDATE audit_events SET seq = 8 WHERE seq = 9').run();
    db.prepare('UPDATE audit_events SET seq = 9 WHERE seq = -1').run();
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 8 });
  });

  it('truncated after the last checkpoint (signed head points past the end)', () => {
    chainWith(12);
    unlock();
    db.prepare('DELETE FROM audit_events WHERE seq > 10').run();
    const result = verify();
    expect(result).toMatchObject({ ok: false, firstBadSeq: 11, checkedEvents: 10 });
    expect(result.reason).toMatch(/truncated/);
  });

  it('truncated before a checkpoint, with the head forged away', () => {
    chainWith(12);
    unlock();
    db.prepare('DELETE FROM audit_events WHERE seq > 7').run();
    db.prepare('DELETE FROM audit_head').run();
    const result = verify();
    expect(result).toMatchObject({ ok: false, firstBadSeq: 1 });
    db.prepare("INSERT INTO audit_head VALUES (1, 7, (SELECT hash FROM audit_events WHERE seq = 7), 'x', 'AAAA')").run();
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 7 });
  });

  it('truncated to a checkpoint boundary with a stale head (checkpoint points past the end)', () => {
    chainWith(12);
    unlock();
    db.prepare('DELETE FROM audit_events WHERE seq > 5').run();
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 6 });
  });

  it('a consistent rewrite (all hashes recomputed) is caught by the signed checkpoint', () => {
    chainWith(12);
    unlock();
    db.prepare(`UPDATE audit_events SET details = '{"i":3,"text":"rewritten"}' WHERE seq = 3`).run();
    rehashFrom(3);
    const result = verify();
    expect(result.ok).toBe(false);
    expect(result.firstBadSeq).toBeLessThanOrEqual(3);
    expect(result.reason).toMatch(/checkpoint/);
  });

  it('a consistent rewrite after the last checkpoint is caught by the signed head', () => {
    chainWith(12);
    unlock();
    db.prepare(`UPDATE audit_events SET actor = 'someone-else' WHERE seq = 12`).run();
    rehashFrom(12);
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 11 });
  });

  it('a checkpoint re-signed with another key is rejected', () => {
    chainWith(12);
    const other = generateKeyPairSync('ed25519');
    db.prepare(`UPDATE audit_checkpoints SET signature = ? WHERE seq = 10`).run(
      Buffer.from(new Uint8Array(64)).toString('base64'),
    );
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 10 });
    // And a verifier given the wrong public key rejects everything it cannot check.
    expect(verifyAuditChain(db, other.publicKey).ok).toBe(false);
  });

  it('head and checkpoint signatures are domain-separated: neither verifies in the other role', () => {
    // 10 events, a checkpoint every 5: the checkpoint and the head at seq 10 sign the same seq, hash and time.
    chainWith(10);
    expect(verify().ok).toBe(true);
    const head = db.prepare('SELECT seq, hash, time, signature FROM audit_head WHERE id = 1').get() as { seq: number; hash: string; time: string; signature: string };
    const cp = db.prepare('SELECT seq, head_hash, time, signature FROM audit_checkpoints WHERE seq = 10').get() as { seq: number; head_hash: string; time: string; signature: string };
    expect([head.seq, head.hash, head.time]).toEqual([cp.seq, cp.head_hash, cp.time]);
    // A checkpoint signature replayed as the head's.
    db.prepare('UPDATE audit_head SET signature = ? WHERE id = 1').run(cp.signature);
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 10, reason: expect.stringMatching(/signed head .* invalid signature/) });
    // The head's signature replayed as the checkpoint's.
    db.prepare('UPDATE audit_head SET signature = ? WHERE id = 1').run(head.signature);
    db.prepare('UPDATE audit_checkpoints SET signature = ? WHERE seq = 10').run(head.signature);
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 10, reason: expect.stringMatching(/checkpoint at seq 10 has an invalid signature/) });
    // A head signed with the real key but over the checkpoint's prefix.
    db.prepare('UPDATE audit_checkpoints SET signature = ? WHERE seq = 10').run(cp.signature);
    expect(verify().ok).toBe(true);
    const privateKey = createPrivateKey(readFileSync(keyPath));
    const asCheckpoint = Buffer.from(`securesphere-audit-checkpoint-v1\n${head.seq}\n${head.hash}\n${head.time}`, 'utf8');
    db.prepare('UPDATE audit_head SET signature = ? WHERE id = 1').run(sign(null, asCheckpoint, privateKey).toString('base64'));
    expect(verify()).toMatchObject({ ok: false, firstBadSeq: 10 });
  });

  it('a public key file alone is enough to verify', () => {
    chainWith(6);
    rmSync(keyPath);
    expect(verifyAuditChain(db, loadAuditPublicKey(join(dir, 'data', 'keys', 'audit-signing.key'))).ok).toBe(true);
  });
});
