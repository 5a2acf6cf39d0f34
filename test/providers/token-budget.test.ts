// Daily token budgets over the real usage store (SQLite): the global budget refuses everyone,
// each user is told once a day, and the day (UTC) resets it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenBudget } from '../../src/providers/token-budget.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { createUsageStore } from '../../src/store/usage.js';

let dir: string;
let db: Db;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'securesphere-budget-'));
  db = openDatabase(dir);
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('token budgets', () => {
  it('a global budget refuses every user until 00:00 UTC, telling each once', () => {
    const usage = createUsageStore(db);
    const day = Date.UTC(2026, 0, 10);
    let t = day + 20 * 3_600_000; // 20:00 UTC
    const budget = createTokenBudget({ usage, config: { global_daily_tokens: 100, per_user_daily_tokens: 1_000 }, now: () => t });
    // Yesterday's usage does not count.
    usage.record({ at: day - 1, profile: 'p', provider: 'openai', model: 'm', userId: 'a', inputTokens: 500, outputTokens: 500 });
    expect(budget.check('a')).toEqual({ allowed: true });
    usage.record({ at: t, profile: 'p', provider: 'openai', model: 'm', userId: 'a', inputTokens: 60, outputTokens: 40 });
    const first = budget.check('b');
    expect(first).toMatchObject({ allowed: false, notify: true, scope: 'budget-global', retryAfterMs: 4 * 3_600_000 });
    expect(budget.check('b')).toMatchObject({ allowed: false, notify: false });
    expect(budget.check('a')).toMatchObject({ allowed: false, notify: true });
    t = day + 24 * 3_600_000 + 1; // the next UTC day
    expect(budget.check('b')).toEqual({ allowed: true });
  });

  it('no budgets configured: always allowed, no store reads needed', () => {
    const budget = createTokenBudget({ usage: createUsageStore(db), config: {} });
    expect(budget.check('anyone')).toEqual({ allowed: true });
  });
});
