// Token usage per model call: profile, model, conversation and user, for `GET /api/usage`,
// `securesphere usage` and the daily budgets. Only counts are stored, never text.
import type { Db } from './database.js';

export interface UsageRecord {
  at: number;
  profile: string;
  provider: string;
  model: string;
  conversationId?: string;
  userId?: string;
  inputTokens: number;
  outputTokens: number;
}

export interface UsageTotals {
  input_tokens: number;
  output_tokens: number;
  calls: number;
}

export interface UsageSummary {
  total: UsageTotals;
  by_profile: Record<string, UsageTotals>;
}

export interface UsageFilter {
  conversationId?: string;
  userId?: string;
  /** Epoch ms, inclusive. */
  since?: number;
}

export interface UsageStore {
  record(entry: UsageRecord): void;
  summary(filter?: UsageFilter): UsageSummary;
  /** Input plus output tokens since `since`, for one user or everyone. */
  tokensSince(since: number, userId?: string): number;
}

export function createUsageStore(db: Db): UsageStore {
  const insert = db.prepare(
    `INSERT INTO provider_usage (at, profile, provider, model, conversation_id, user_id, input_tokens, output_tokens)
     VALUES (@at, @profile, @provider, @model, @conversation_id, @user_id, @input_tokens, @output_tokens)`,
  );
  const byProfile = db.prepare(
    `SELECT profile, COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens, COUNT(*) AS calls
     FROM provider_usage
     WHERE (@conversation_id IS NULL OR conversation_id = @conversation_id)
       AND (@user_id IS NULL OR user_id = @user_id)
       AND at >= @since
     GROUP BY profile ORDER BY profile`,
  );
  const userTokens = db.prepare('SELECT COALESCE(SUM(input_tokens + output_tokens), 0) AS n FROM provider_usage WHERE user_id = ? AND at >= ?');
  const allTokens = db.prepare('SELECT COALESCE(SUM(input_tokens + output_tokens), 0) AS n FROM provider_usage WHERE at >= ?');
  return {
    record(entry) {
      insert.run({
        at: entry.at,
        profile: entry.profile,
        provider: entry.provider,
        model: entry.model,
        conversation_id: entry.conversationId ?? null,
        user_id: entry.userId ?? null,
        input_tokens: Math.max(0, Math.round(entry.inputTokens)),
        output_tokens: Math.max(0, Math.round(entry.outputTokens)),
      });
    },
    summary(filter = {}) {
      const rows = byProfile.all({ conversation_id: filter.conversationId ?? null, user_id: filter.userId ?? null, since: filter.since ?? 0 }) as Array<UsageTotals & { profile: string }>;
      const total: UsageTotals = { input_tokens: 0, output_tokens: 0, calls: 0 };
      const by: Record<string, UsageTotals> = {};
      for (const { profile, ...t } of rows) {
        by[profile] = t;
        total.input_tokens += t.input_tokens;
        total.output_tokens += t.output_tokens;
        total.calls += t.calls;
      }
      return { total, by_profile: by };
    },
    tokensSince(since, userId) {
      const row = (userId === undefined ? allTokens.get(since) : userTokens.get(userId, since)) as { n: number };
      return row.n;
    },
  };
}
