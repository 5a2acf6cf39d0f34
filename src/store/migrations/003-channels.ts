// Channel platform tables. A conversation is keyed by channel + platform conversation id (+
// thread): conversation_keys maps that address to the gateway's conversation id, so the same
// chat id on two platforms can never share history, queue, grants or agent, and `/new` can point
// an address at a fresh conversation. Existing conversations are migrated as (their channel,
// their old id) -> their old id, so history, grants and agents stay where they were.
// channel_inbound records every admitted platform message (de-duplication survives restarts;
// queued rows are processed after a crash); outbox holds every outbound message and prompt edit
// until the platform has it; channel_pairings holds one-time pairing codes and paired users.
export const migration003 = {
  version: 3,
  name: 'channels',
  sql: `
CREATE TABLE conversation_keys (
  channel TEXT NOT NULL,
  platform_conversation_id TEXT NOT NULL,
  thread_id TEXT NOT NULL DEFAULT '',
  conversation_id TEXT NOT NULL,
  generation INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (channel, platform_conversation_id, thread_id)
);

ALTER TABLE conversations ADD COLUMN platform_conversation_id TEXT;
ALTER TABLE conversations ADD COLUMN thread_id TEXT NOT NULL DEFAULT '';
UPDATE conversations SET platform_conversation_id = id;
INSERT INTO conversation_keys (channel, platform_conversation_id, thread_id, conversation_id, generation, updated_at)
  SELECT channel, id, '', id, 0, updated_at FROM conversations;

CREATE TABLE channel_inbound (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  platform_conversation_id TEXT NOT NULL,
  thread_id TEXT NOT NULL DEFAULT '',
  platform_message_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  sender_name TEXT NOT NULL,
  text TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued','done')),
  received_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX channel_inbound_dedupe ON channel_inbound(channel, platform_conversation_id, platform_message_id);
CREATE INDEX channel_inbound_queued ON channel_inbound(state, seq) WHERE state = 'queued';

CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  platform_conversation_id TEXT NOT NULL,
  thread_id TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL CHECK (kind IN ('send','edit')),
  text TEXT NOT NULL,
  approval TEXT,
  approval_id TEXT,
  edit_of INTEGER REFERENCES outbox(seq),
  state TEXT NOT NULL CHECK (state IN ('pending','delivered','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  platform_message_id TEXT,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX outbox_pending ON outbox(channel, conversation_id, seq) WHERE state = 'pending';
CREATE INDEX outbox_by_approval ON outbox(approval_id) WHERE approval_id IS NOT NULL;

CREATE TABLE channel_pairings (
  channel TEXT NOT NULL,
  platform_user_id TEXT NOT NULL,
  code TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending','approved')),
  sender_name TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by TEXT,
  PRIMARY KEY (channel, platform_user_id)
);
CREATE UNIQUE INDEX channel_pairings_code ON channel_pairings(code);
`,
};
