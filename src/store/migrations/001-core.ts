// Core tables: conversations, messages, actions (with their state transitions), approvals,
// conversation grants, agents and the audit chain. Times are epoch milliseconds.
export const migration001 = {
  version: 1,
  name: 'core',
  sql: `
CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  channel TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  role TEXT NOT NULL CHECK (role IN ('system','user','assistant','tool')),
  content TEXT NOT NULL,
  sender_id TEXT,
  tool_calls TEXT,
  tool_call_id TEXT,
  tool_name TEXT,
  platform_message_id TEXT,
  flagged INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX messages_by_tool_call ON messages(conversation_id, tool_call_id) WHERE tool_call_id IS NOT NULL;
CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
CREATE UNIQUE INDEX messages_platform_dedupe ON messages(conversation_id, platform_message_id)
  WHERE platform_message_id IS NOT NULL;

CREATE TABLE actions (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  kind TEXT NOT NULL CHECK (kind = 'skill_execution'),
  skill TEXT NOT NULL,
  operation TEXT NOT NULL,
  arguments TEXT NOT NULL,
  security_level TEXT NOT NULL,
  status TEXT NOT NULL,
  requester TEXT NOT NULL,
  tool_call_id TEXT,
  result TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX actions_by_conversation ON actions(conversation_id, created_at);
CREATE INDEX actions_by_status ON actions(status);

CREATE TABLE action_transitions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  action_id TEXT NOT NULL REFERENCES actions(id),
  from_status TEXT,
  to_status TEXT NOT NULL,
  at INTEGER NOT NULL,
  note TEXT
);
CREATE INDEX action_transitions_by_action ON action_transitions(action_id, id);

CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  action_id TEXT NOT NULL REFERENCES actions(id),
  conversation_id TEXT NOT NULL,
  skill TEXT NOT NULL,
  operation TEXT NOT NULL,
  canonical_arguments TEXT NOT NULL,
  arguments_hash TEXT NOT NULL,
  security_level TEXT NOT NULL,
  requester TEXT NOT NULL,
  approvers TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','approved','denied','expired')),
  decided_by TEXT,
  decided_at INTEGER,
  scope TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  channel TEXT,
  platform_message_id TEXT
);
CREATE INDEX approvals_by_status ON approvals(status, expires_at);
CREATE INDEX approvals_by_action ON approvals(action_id);

CREATE TABLE conversation_grants (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  skill TEXT NOT NULL,
  operation TEXT NOT NULL,
  granted_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX grants_by_conversation ON conversation_grants(conversation_id, skill, operation);

CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  conversation_id TEXT,
  backend TEXT NOT NULL,
  runtime TEXT,
  container_id TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending','creating','running','paused','stopping','stopped','error')),
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  stopped_at INTEGER,
  last_used_at INTEGER,
  exit_code INTEGER,
  error TEXT
);
CREATE INDEX agents_by_conversation ON agents(conversation_id, state);

CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  conversation_id TEXT,
  type TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
`,
};
