// Rate limiting on real SQLite files: bucket arithmetic on a fake clock, one notice per
// limited stretch, persistence across a restart, and no over-admission when several
// processes check the same user at once.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { createRateLimiter, type RateLimitsConfig } from '../../src/security/rate-limiter.js';

let dir: string;
let db: Db;
let t: number;
const clock = () => t;
const limits = (over: Partial<RateLimitsConfig> = {}): RateLimitsConfig => ({
  ...configSchema.parse({}).security.rate_limits,
  ...over,
});
const msg = (userId = 'u1', conversationId = 'c1', channel = 'web') => ({ channel, conversationId, userId });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-rate-'));
  db = openDatabase(join(dir, 'data'));
  t = 1_700_000_000_000;
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rate limiter', () => {
  it('admits up to the per-user limit, then refuses with the wait time and one notice per stretch', () => {
    const rl = createRateLimiter({ db, config: limits({ per_user_per_minute: 6 }), now: clock });
    for (let i = 0; i < 6; i++) expect(rl.checkMessage(msg()).allowed).toBe(true);
    const first = rl.checkMessage(msg());
    expect(first).toEqual({ allowed: false, scope: 'user', retryAfterMs: 10_000, notify: true });
    const second = rl.checkMessage(msg());
    expect(second).toMatchObject({ allowed: false, notify: false });
    t += 4_000;
    expect(rl.checkMessage(msg())).toMatchObject({ allowed: false, notify: false, retryAfterMs: 6_000 });
    t += 6_000;
    expect(rl.checkMessage(msg()).allowed).toBe(true);
    // A new stretch gets a new notice.
    expect(rl.checkMessage(msg())).toMatchObject({ allowed: false, notify: true });
    // Another user is unaffected.
    expect(rl.checkMessage(msg('u2')).allowed).toBe(true);
  });

  it('limits per conversation and per channel, naming the scope', () => {
    const rl = createRateLimiter({ db, config: limits({ per_user_per_minute: 100, per_conversation_per_minute: 3, per_channel_per_minute: 5 }), now: clock });
    for (let i = 0; i < 3; i++) expect(rl.checkMessage(msg(`u${i}`, 'room')).allowed).toBe(true);
    expect(rl.checkMessage(msg('u9', 'room'))).toMatchObject({ allowed: false, scope: 'conversation', notify: true });
    expect(rl.checkMessage(msg('u1', 'other')).allowed).toBe(true);
    expect(rl.checkMessage(msg('u2', 'third')).allowed).toBe(true);
    expect(rl.checkMessage(msg('u3', 'fourth'))).toMatchObject({ allowed: false, scope: 'channel' });
    // A refused message consumes nothing anywhere: the slack channel is unaffected.
    expect(rl.checkMessage(msg('u3', 'fourth', 'slack')).allowed).toBe(true);
  });

  it('a refusal consumes no tokens from the other buckets', () => {
    const rl = createRateLimiter({ db, config: limits({ per_user_per_minute: 1, per_conversation_per_minute: 2 }), now: clock });
    expect(rl.checkMessage(msg('a', 'room')).allowed).toBe(true);
    for (let i = 0; i < 5; i++) expect(rl.checkMessage(msg('a', 'room')).allowed).toBe(false);
    expect(rl.checkMessage(msg('b', 'room')).allowed).toBe(true);
  });

  it('limits LLM calls globally', () => {
    const rl = createRateLimiter({ db, config: limits({ llm_calls_per_minute: 2 }), now: clock });
    expect(rl.checkLlmCall().allowed).toBe(true);
    expect(rl.checkLlmCall().allowed).toBe(true);
    expect(rl.checkLlmCall()).toEqual({ allowed: false, scope: 'llm', retryAfterMs: 30_000, notify: true });
  });

  it('limits failed authentications per address', () => {
    const rl = createRateLimiter({ db, config: limits({ auth_failures_per_minute: 3 }), now: clock });
    for (let i = 0; i < 3; i++) {
      expect(rl.authFailureLimiter.blockedFor('10.0.0.1')).toBe(0);
      rl.authFailureLimiter.recordFailure('10.0.0.1');
    }
    expect(rl.authFailureLimiter.blockedFor('10.0.0.1')).toBe(20_000);
    expect(rl.authFailureLimiter.blockedFor('10.0.0.2')).toBe(0);
    t += 20_000;
    expect(rl.authFailureLimiter.blockedFor('10.0.0.1')).toBe(0);
  });

  it('a clock stepping back refills nothing (messages and failed authentications)', () => {
    const rl = createRateLimiter({ db, config: limits({ per_user_per_minute: 2, auth_failures_per_minute: 2 }), now: clock });
    expect(rl.checkMessage(msg()).allowed).toBe(true);
    expect(rl.checkMessage(msg()).allowed).toBe(true);
    rl.authFailureLimiter.recordFailure('10.0.0.1');
    rl.authFailureLimiter.recordFailure('10.0.0.1');
    expect(rl.checkMessage(msg()).allowed).toBe(false);
    expect(rl.authFailureLimiter.blockedFor('10.0.0.1')).toBeGreaterThan(0);
    // The clock steps back by ten minutes: the empty buckets stay empty.
    t -= 600_000;
    expect(rl.checkMessage(msg()).allowed).toBe(false);
    expect(rl.authFailureLimiter.blockedFor('10.0.0.1')).toBeGreaterThan(0);
    rl.authFailureLimiter.recordFailure('10.0.0.1');
    expect(rl.authFailureLimiter.blockedFor('10.0.0.1')).toBe(30_000);
    // From the stepped-back time on, time passing refills as usual (one token per 30 s here).
    t += 30_000;
    expect(rl.authFailureLimiter.blockedFor('10.0.0.1')).toBe(0);
    expect(rl.checkMessage(msg()).allowed).toBe(true);
    expect(rl.checkMessage(msg()).allowed).toBe(false);
  });

  it('persists across a restart', () => {
    const rl = createRateLimiter({ db, config: limits({ per_user_per_minute: 3 }), now: clock });
    for (let i = 0; i < 3; i++) rl.checkMessage(msg());
    db.close();
    db = openDatabase(join(dir, 'data'));
    const again = createRateLimiter({ db, config: limits({ per_user_per_minute: 3 }), now: clock });
    expect(again.checkMessage(msg())).toMatchObject({ allowed: false, scope: 'user', notify: true });
  });

  it('keeps hostile names in separate buckets', () => {
    const rl = createRateLimiter({ db, config: limits({ per_user_per_minute: 1 }), now: clock });
    expect(rl.checkMessage({ channel: 'a","b', conversationId: 'c', userId: 'x' }).allowed).toBe(true);
    expect(rl.checkMessage({ channel: 'a', conversationId: 'c', userId: 'b","x' }).allowed).toBe(true);
    expect(rl.checkMessage({ channel: '__proto__', conversationId: 'constructor', userId: 'toString' }).allowed).toBe(true);
  });

  it('prunes idle buckets without changing any answer', () => {
    const rl = createRateLimiter({ db, config: limits({ per_user_per_minute: 2 }), now: clock });
    rl.checkMessage(msg());
    t += 60_000;
    expect(rl.prune()).toBe(3);
    expect(db.prepare('SELECT count(*) FROM rate_buckets').pluck().get()).toBe(0);
    expect(rl.checkMessage(msg()).allowed).toBe(true);
    expect(rl.checkMessage(msg()).allowed).toBe(true);
    expect(rl.checkMessage(msg()).allowed).toBe(false);
  });

  it('over-admits at most 1% under a sustained 10x burst from one user', () => {
    const perMinute = 20;
    const rl = createRateLimiter({ db, config: limits({ per_user_per_minute: perMinute }), now: clock });
    const minutes = 5;
    const sent = perMinute * 10 * minutes;
    const step = (minutes * 60_000) / sent;
    let admitted = 0;
    let notices = 0;
    for (let i = 0; i < sent; i++) {
      const d = rl.checkMessage(msg());
      if (d.allowed) admitted += 1;
      else if (d.notify) notices += 1;
      t += step;
    }
    // A full bucket at the start, plus the refill over the window.
    const allowance = perMinute + perMinute * minutes;
    expect(admitted).toBeLessThanOrEqual(Math.floor(allowance * 1.01));
    // And it is not simply refusing everything.
    expect(admitted).toBeGreaterThanOrEqual(allowance - 2);
    expect(notices).toBeGreaterThan(0);
    expect(notices).toBeLessThan(sent / 10);
  });
});

describe('rate limiter under real concurrency', () => {
  it('4 processes x 10x burst on one user admit exactly the allowance', async () => {
    const worker = fileURLToPath(new URL('./rate-burst.worker.ts', import.meta.url));
    const perUser = 50;
    const each = (perUser * 10) / 4;
    const runOne = () =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', worker, join(dir, 'data'), String(t), String(each), String(perUser)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve((JSON.parse(out) as { admitted: number }).admitted) : reject(new Error(`worker exited ${code}: ${err}`))));
      });
    const counts = await Promise.all([runOne(), runOne(), runOne(), runOne()]);
    const admitted = counts.reduce((a, b) => a + b, 0);
    expect(admitted).toBeLessThanOrEqual(Math.floor(perUser * 1.01));
    expect(admitted).toBe(perUser);
  });
});
