// Daily token budgets (config `budgets`): per user and for the whole gateway, counted from UTC
// midnight over the stored usage. Checked when a message is admitted, like the rate limits: a
// user who is out is refused until midnight and told once per day (not on every message).
// The notice memory is per process; a restart may tell a user once more.
import type { Config } from '../config/schema.js';
import type { UsageStore } from '../store/usage.js';

const DAY_MS = 86_400_000;

export type BudgetDecision = { allowed: true } | { allowed: false; retryAfterMs: number; notify: boolean; scope: 'budget-user' | 'budget-global'; message: string };

export interface TokenBudget {
  check(userId: string): BudgetDecision;
}

export function createTokenBudget(deps: { usage: UsageStore; config: Config['budgets']; now?: () => number }): TokenBudget {
  const now = deps.now ?? Date.now;
  const told = new Set<string>();
  return {
    check(userId) {
      const { per_user_daily_tokens: perUser, global_daily_tokens: global } = deps.config;
      if (perUser === undefined && global === undefined) return { allowed: true };
      const t = now();
      const dayStart = t - (t % DAY_MS);
      const retryAfterMs = dayStart + DAY_MS - t;
      const refuse = (scope: 'user' | 'global', message: string): BudgetDecision => {
        const key = `${scope}:${userId}:${dayStart}`;
        const notify = !told.has(key);
        told.add(key);
        if (told.size > 10_000) told.clear();
        return { allowed: false, retryAfterMs, notify, scope: scope === 'user' ? 'budget-user' : 'budget-global', message };
      };
      if (global !== undefined && deps.usage.tokensSince(dayStart) >= global) {
        return refuse('global', `The gateway's daily language-model budget is used up; it resets at 00:00 UTC (in ${hours(retryAfterMs)}).`);
      }
      if (perUser !== undefined && deps.usage.tokensSince(dayStart, userId) >= perUser) {
        return refuse('user', `You have used your daily language-model budget (${perUser} tokens); it resets at 00:00 UTC (in ${hours(retryAfterMs)}).`);
      }
      return { allowed: true };
    },
  };
}

function hours(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.ceil((ms % 3_600_000) / 60_000);
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}
