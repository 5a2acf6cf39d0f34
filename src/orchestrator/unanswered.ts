// Finds user messages that were stored but never answered: the gateway died between storing
// a message and replying to it. A message counts as answered once a reply was sent for it (the
// `reply-sent` audit event every finished turn writes, a failed turn's apology included), so a
// turn that failed is not run again; a turn waiting for an approval has stored the model's
// tool call after the message, so it is not "unanswered" either (recovery resumes it).
// Read-only: it never changes the store.
import type { Db } from '../store/database.js';

export interface UnansweredMessage {
  conversationId: string;
  channel: string;
  messageId: number;
  senderId: string;
}

export interface UnansweredQueries {
  /** Conversations whose last stored message is a user message no reply was sent for. */
  all(): UnansweredMessage[];
  /** Whether this user message is still the conversation's last and no reply was sent for it. */
  isUnanswered(conversationId: string, messageId: number): boolean;
  /** The stored user message with this platform id, and whether it still waits for its answer. */
  byPlatformId(conversationId: string, platformMessageId: string): { messageId: number; unanswered: boolean } | undefined;
  /** The first plain reply (no tool calls) stored after a message, if any. */
  replyAfter(conversationId: string, messageId: number): string | undefined;
}

export function createUnansweredQueries(db: Db): UnansweredQueries {
  // One pass over conversations, each joined to its newest message through the
  // (conversation_id, id) index.
  const lastUserMessages = db.prepare(
    `SELECT c.id AS conversation_id, c.channel AS channel, m.id AS message_id, m.sender_id AS sender_id
       FROM conversations c
       JOIN messages m ON m.id = (SELECT MAX(id) FROM messages WHERE conversation_id = c.id)
      WHERE m.role = 'user'`,
  );
  const lastMessageId = db.prepare('SELECT MAX(id) FROM messages WHERE conversation_id = ?').pluck();
  // Newest first over the audit chain's primary key: the conversation's latest events are near the end.
  const lastTurnEvent = db
    .prepare(
      `SELECT type FROM audit_events WHERE conversation_id = ? AND type IN ('message-received', 'reply-sent')
        ORDER BY seq DESC LIMIT 1`,
    )
    .pluck();
  const byPlatform = db.prepare('SELECT id FROM messages WHERE conversation_id = ? AND platform_message_id = ?').pluck();
  const reply = db
    .prepare(`SELECT content FROM messages WHERE conversation_id = ? AND id > ? AND role = 'assistant' AND tool_calls IS NULL ORDER BY id LIMIT 1`)
    .pluck();

  const waiting = (conversationId: string): boolean => lastTurnEvent.get(conversationId) === 'message-received';
  const isUnanswered = (conversationId: string, messageId: number): boolean => lastMessageId.get(conversationId) === messageId && waiting(conversationId);

  return {
    all() {
      const rows = lastUserMessages.all() as Array<{ conversation_id: string; channel: string; message_id: number; sender_id: string | null }>;
      return rows
        .filter((r) => waiting(r.conversation_id))
        .map((r) => ({ conversationId: r.conversation_id, channel: r.channel, messageId: r.message_id, senderId: r.sender_id ?? 'unknown' }));
    },
    isUnanswered,
    byPlatformId(conversationId, platformMessageId) {
      const messageId = byPlatform.get(conversationId, platformMessageId) as number | undefined;
      return messageId === undefined ? undefined : { messageId, unanswered: isUnanswered(conversationId, messageId) };
    },
    replyAfter(conversationId, messageId) {
      return reply.get(conversationId, messageId) as string | undefined;
    },
  };
}
