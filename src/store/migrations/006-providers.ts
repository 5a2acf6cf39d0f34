// Provider profiles: which profile and model wrote each assistant message, each profile's last
// error and skip time (so `doctor`, a separate process, sees what the gateway saw), and the
// tokens of every model call for usage reports and daily budgets.
export const migration006 = {
  version: 6,
  name: 'providers',
  sql: `
ALTER TABLE messages ADD COLUMN profile TEXT;
ALTER TABLE messages ADD COLUMN model TEXT;

CREATE TABLE provider_profile_state (
  profile TEXT PRIMARY KEY,
  last_error_code TEXT,
  last_error_message TEXT,
  last_error_at TEXT,
  skipped_until INTEGER NOT NULL DEFAULT 0,
  cooling_until INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE provider_usage (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  profile TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  conversation_id TEXT,
  user_id TEXT,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL
);
CREATE INDEX provider_usage_at ON provider_usage (at);
CREATE INDEX provider_usage_user_at ON provider_usage (user_id, at);
CREATE INDEX provider_usage_conversation_at ON provider_usage (conversation_id, at);
`,
};
