// `securesphere audit verify|tail|export` through commander, and GET /api/audit through the
// real Fastify app on a real socket (global bearer auth, with the rate limiter's per-address
// authentication-failure limit wired in).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/app.js';
import { auditRoutes } from '../../src/api/routes/audit.js';
import { registerAuditCommands, type CommandIo } from '../../src/cli/commands/audit.js';
import { configSchema } from '../../src/config/schema.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { createAuditChain, type AuditChain } from '../../src/security/audit-chain.js';
import { loadAuditPublicKey } from '../../src/security/audit-signing-key.js';
import { createRateLimiter } from '../../src/security/rate-limiter.js';

let dir: string;
let db: Db;
let chain: AuditChain;
let keyPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-audit-cli-'));
  db = openDatabase(join(dir, 'data'));
  keyPath = join(dir, 'keys', 'audit-signing.key');
  chain = createAuditChain({ db, signingKeyPath: keyPath, checkpointEvery: 4 });
  for (let i = 1; i <= 10; i++) chain.append({ type: 'message-received', actor: `u${i}`, conversationId: 'c1', details: { i } });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]) {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  let exitCode = 0;
  const io: CommandIo = { stdin: Readable.from([]), stdout, stderr: new PassThrough(), env: {}, setExitCode: (c) => (exitCode = c) };
  const program = new Command('securesphere').exitOverride().configureOutput({ writeErr: () => undefined });
  registerAuditCommands(program, async () => ({ db, publicKey: () => loadAuditPublicKey(keyPath), close: () => undefined }), io);
  await program.parseAsync(['node', 'securesphere', ...args]);
  return { out, exitCode };
}

describe('audit CLI', () => {
  it('verify passes on an intact chain', async () => {
    const r = await cli(['audit', 'verify']);
    expect(r.exitCode).toBe(0);
    expect(r.out).toMatch(/ok: 10 events, 2 signed checkpoints/);
  });

  it('verify exits non-zero and prints the first bad seq', async () => {
    db.exec('DROP TRIGGER audit_events_no_update');
    db.prepare(`UPDATE audit_events SET actor = 'mallory' WHERE seq = 6`).run();
    const r = await cli(['audit', 'verify']);
    expect(r.exitCode).toBe(1);
    expect(r.out).toMatch(/BROKEN at seq 6/);
  });

  it('verify accepts an explicit public key file', async () => {
    const r = await cli(['audit', 'verify', '--public-key', `${keyPath}.pub`]);
    expect(r.exitCode).toBe(0);
  });

  it('tail -n and export --jsonl', async () => {
    const tail = await cli(['audit', 'tail', '-n', '3']);
    expect(tail.out.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(['#8', '#9', '#10']);
    const tailJson = await cli(['audit', 'tail', '-n', '2', '--jsonl']);
    expect(tailJson.out.trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([9, 10]);
    const exp = await cli(['audit', 'export', '--jsonl']);
    const lines = exp.out.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; hash: string });
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(lines[9]!.hash).toBe(chain.head().hash);
  });

  it('tail rejects a bad -n', async () => {
    await expect(cli(['audit', 'tail', '-n', 'lots'])).rejects.toThrow(/positive whole number/);
  });
});

describe('GET /api/audit', () => {
  let app: FastifyInstance;
  let base: string;
  const TOKEN = 'api-token-for-audit-tests';
  let clock = 0;

  beforeEach(async () => {
    clock = Date.now();
    const limiter = createRateLimiter({ db, config: { ...configSchema.parse({}).security.rate_limits, auth_failures_per_minute: 3 }, now: () => clock });
    app = createApiApp({
      token: TOKEN,
      bodyLimitBytes: 65536,
      logger: pino({ level: 'silent' }),
      authLimiter: limiter.authFailureLimiter,
      routes: [auditRoutes(chain)],
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await app.close();
  });

  const get = (path: string, token = TOKEN) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('pages with after and limit', async () => {
    const first = await get('/api/audit?limit=4');
    expect(first.status).toBe(200);
    const body = (await first.json()) as { events: Array<{ seq: number; conversation_id: string; prev_hash: string }>; next_after: number | null };
    expect(body.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(body.events[0]).toMatchObject({ conversation_id: 'c1', prev_hash: '0'.repeat(64) });
    expect(body.next_after).toBe(4);
    const last = (await (await get('/api/audit?after=8&limit=4')).json()) as { events: Array<{ seq: number }>; next_after: number | null };
    expect(last.events.map((e) => e.seq)).toEqual([9, 10]);
    expect(last.next_after).toBeNull();
    const defaults = (await (await get('/api/audit')).json()) as { events: unknown[] };
    expect(defaults.events).toHaveLength(10);
  });

  it('validates the query', async () => {
    for (const q of ['after=-1', 'limit=0', 'limit=5000', 'after=abc', 'limit=1.5', 'extra=1']) {
      const res = await get(`/api/audit?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SS_ERR_BAD_REQUEST');
    }
  });

  it('requires the bearer token, and limits failed attempts per address', async () => {
    for (let i = 0; i < 3; i++) expect((await get('/api/audit', 'wrong-token')).status).toBe(401);
    const blocked = await get('/api/audit', 'wrong-token');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The right token is served all the same: failures cannot lock anyone out.
    expect((await get('/api/audit')).status).toBe(200);
    // Back-off: a failure while limited restarts the wait (20 s a token at 3 a minute).
    clock += 19_000;
    const again = await get('/api/audit', 'wrong-token');
    expect(again.status).toBe(429);
    expect(again.headers.get('retry-after')).toBe('20');
    clock += 19_000;
    expect((await get('/api/audit', 'wrong-token')).status).toBe(429);
    clock += 20_000;
    expect((await get('/api/audit', 'wrong-token')).status).toBe(401);
  });
});
