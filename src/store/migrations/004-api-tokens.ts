// API tokens bound to an identity (`api:<name>`): only the SHA-256 of each token is stored, so a
// copy of the database does not hand out API access. The operator's own token (generated into
// <data_dir>/api-token or set in config) is not a row here; it is `api:operator`.
export const migration004 = {
  version: 4,
  name: 'api-tokens',
  sql: `
CREATE TABLE api_tokens (
  name TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  act_for_others INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  last_used_at INTEGER
);
`,
};
