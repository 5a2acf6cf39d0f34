// Token buckets for inbound messages (per user, per conversation, per channel), global LLM
// calls, and failed API authentications per address. Buckets live in SQLite (rate_buckets),
// so a restart does not hand out a fresh allowance, and every check is one IMMEDIATE
// transaction, so concurrent checks (even from other processes) cannot over-admit.
//
// A bucket holds up to `per_minute` tokens and refills continuously at per_minute / 60 s; a
// bucket idle for a minute is full, which is why idle rows can be pruned without changing
// any answer. `notify` is true only on the first refusal of a limited stretch, so a flooding
// user gets one clear "wait N s" message instead of one per dropped event.
import type { Config } from '../config/schema.js';
import type { Db } from '../store/database.js';

export type RateLimitsConfig = Config['security']['rate_limits'];
export type RateScope = 'user' | 'conversation' | 'channel' | 'llm';

export type RateDecision =
  | { allowed: true }
  /** `message`: what to tell the user instead of the rate-limit text (a daily token budget). */
  | { allowed: false; retryAfterMs: number; scope: RateScope | 'budget-user' | 'budget-global'; notify: boolean; message?: string };

export interface RateLimiter {
  /** Consumes one token from the user, conversation and channel buckets, or none if any is empty. */
  checkMessage(input: { channel: string; conversationId: string; userId: string }): RateDecision;
  /** Consumes one token from the global LLM-call bucket. */
  checkLlmCall(): RateDecision;
  /**
   * Failed API authentications per address, in the shape src/api/auth.ts expects:
   * blockedFor is the ms to wait (0 = may try; consumes nothing), recordFailure counts one failure.
   */
  readonly authFailureLimiter: { blockedFor(address: string): number; recordFailure(address: string): void };
  /** Deletes buckets idle long enough to be full again; returns how many. */
  prune(): number;
}

export interface RateLimiterOptions {
  db: Db;
  config: RateLimitsConfig;
  /** Clock in epoch ms, for tests. */
  now?: () => number;
}

interface Bucket {
  key: string;
  capacity: number;
  tokens: number;
  refused: boolean;
}

const MINUTE_MS = 60_000;
const PRUNE_EVERY_CHECKS = 1000;

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { db, config } = options;
  const now = options.now ?? Date.now;
  const select = db.prepare('SELECT tokens, updated_at, refused FROM rate_buckets WHERE key = ?');
  const upsert = db.prepare(
    `INSERT INTO rate_buckets (key, tokens, updated_at, refused) VALUES (@key, @tokens, @at, @refused)
     ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at, refused = excluded.refused`,
  );
  const deleteIdle = db.prepare('DELETE FROM rate_buckets WHERE updated_at <= ?');
  let checks = 0;

  // Keys are JSON arrays so no user or channel name can collide with another scope's key.
  const keyOf = (...parts: string[]) => JSON.stringify(parts);

  const load = (key: string, capacity: number, t: number): Bucket => {
    const row = select.get(key) as { tokens: number; updated_at: number; refused: number } | undefined;
    if (!row) return { key, capacity, tokens: capacity, refused: false };
    const elapsed = Math.max(0, t - row.updated_at); // a clock stepping back refills nothing
    const tokens = Math.min(capacity, row.tokens + (elapsed * capacity) / MINUTE_MS);
    return { key, capacity, tokens, refused: row.refused === 1 };
  };
  const save = (b: Bucket, t: number) => upsert.run({ key: b.key, tokens: b.tokens, at: t, refused: b.refused ? 1 : 0 });
  const waitMs = (b: Bucket) => Math.max(1, Math.ceil(((1 - b.tokens) * MINUTE_MS) / b.capacity));

  /**
   * Takes one token from every bucket, or from none. The first bucket's refused flag marks
   * the limited stretch (the user's own bucket for messages).
   */
  const take = db.transaction((specs: Array<{ key: string; capacity: number; scope: RateScope }>): RateDecision => {
    const t = now();
    const buckets = specs.map((s) => load(s.key, s.capacity, t));
    const empty = buckets.map((b, i) => ({ b, scope: specs[i]!.scope })).filter(({ b }) => b.tokens < 1);
    const notice = buckets[0]!;
    if (empty.length === 0) {
      for (const b of buckets) {
        b.tokens -= 1;
        b.refused = false;
        save(b, t);
      }
      return { allowed: true };
    }
    const notify = !notice.refused;
    notice.refused = true;
    for (const b of buckets) save(b, t);
    return { allowed: false, scope: empty[0]!.scope, retryAfterMs: Math.max(...empty.map(({ b }) => waitMs(b))), notify };
  });

  const run = (specs: Array<{ key: string; capacity: number; scope: RateScope }>): RateDecision => {
    if (++checks % PRUNE_EVERY_CHECKS === 0) prune();
    return take.immediate(specs);
  };

  const prune = (): number => deleteIdle.run(now() - MINUTE_MS).changes;

  const authKey = (address: string) => keyOf('auth', address);

  // Auth refusals carry no notice, so an auth bucket's refused flag is never set.
  const recordAuthFailure = db.transaction((address: string): void => {
    const t = now();
    const b = load(authKey(address), config.auth_failures_per_minute, t);
    b.tokens = Math.max(0, b.tokens - 1);
    save(b, t);
  });

  return {
    checkMessage({ channel, conversationId, userId }) {
      return run([
        { key: keyOf('user', channel, userId), capacity: config.per_user_per_minute, scope: 'user' },
        { key: keyOf('conversation', channel, conversationId), capacity: config.per_conversation_per_minute, scope: 'conversation' },
        { key: keyOf('channel', channel), capacity: config.per_channel_per_minute, scope: 'channel' },
      ]);
    },
    checkLlmCall: () => run([{ key: keyOf('llm'), capacity: config.llm_calls_per_minute, scope: 'llm' }]),
    authFailureLimiter: {
      blockedFor(address) {
        const b = load(authKey(address), config.auth_failures_per_minute, now());
        return b.tokens >= 1 ? 0 : waitMs(b);
      },
      recordFailure: (address) => recordAuthFailure.immediate(address),
    },
    prune,
  };
}
