// Finds user messages that were stored but never answered: the gateway died between storing
// a message and replying to it. A message counts as answered once a reply was sent for it (the
// `reply-sent` audit event every finished turn writes, a failed turn's apology included), so a
// turn that failed is not run again; a turn waiting for an approval has stored the model's
// tool call after the message, so it is not "unanswered" either (recovery resumes it).
//
// Only messages from a recent window count (the caller passes its start): that bounds the
// cost by recent activity — the audit chain has no index by conversation, so its events are
// read only from the window's first seq on (found by bisecting seq on the event time) — and a
// message left unanswered for longer is better retried by its sender than answered out of the
// blue. Read-only: it never changes the store.
import type { Db } from '../store/database.js';

export interface UnansweredMessage {
  conversationId: string;
  channel: string;
  messageId: number;
  senderId: string;
}

export interface UnansweredQueries {
  /** Messages stored since `since` (epoch ms), each its conversation's last, no reply sent for them. */
  all(since: number): UnansweredMessage[];
  /** Whether this user message (stored since `since`) is still its conversation's last and no reply was sent for it. */
  isUnanswered(conversationId: string, messageId: number, since: number): boolean;
  /** The stored user message with this platform id, and whether it still waits for its answer. */
  byPlatformId(conversationId: string, platformMessageId: string, since: number): { messageId: number; unanswered: boolean } | undefined;
  /** The first plain reply (no tool calls) stored after a message, if any. */
  replyAfter(conversationId: string, messageId: number): string | undefined;
}

/** Slack between the message's and its audit event's clock readings. */
const CLOCK_SLACK_MS = 60_000;

export function createUnansweredQueries(db: Db): UnansweredQueries {
  // Conversations are scanned once, each joined to its newest message through the
  // (conversation_id, id) index.
  const lastUserMessages = db.prepare(
    `SELECT c.id AS conversation_id, c.channel AS channel, m.id AS message_id, m.sender_id AS sender_id
       FROM conversations c
       JOIN messages m ON m.id = (SELECT MAX(id) FROM messages WHERE conversation_id = c.id)
      WHERE c.updated_at >= ? AND m.role = 'user' AND m.created_at >= ?`,
  );
  const lastMessage = db.prepare('SELECT id, created_at FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT 1');
  const maxSeq = db.prepare('SELECT MAX(seq) FROM audit_events').pluck();
  const timeAt = db.prepare('SELECT time FROM audit_events WHERE seq = ?').pluck();
  const turnEventsFrom = db.prepare(
    `SELECT conversation_id, type FROM audit_events WHERE seq >= ? AND type IN ('message-received', 'reply-sent') ORDER BY seq`,
  );
  const lastTurnEventFrom = db
    .prepare(`SELECT type FROM audit_events WHERE seq >= ? AND conversation_id = ? AND type IN ('message-received', 'reply-sent') ORDER BY seq DESC LIMIT 1`)
    .pluck();
  const byPlatform = db.prepare('SELECT id FROM messages WHERE conversation_id = ? AND platform_message_id = ?').pluck();
  const reply = db
    .prepare(`SELECT content FROM messages WHERE conversation_id = ? AND id > ? AND role = 'assistant' AND tool_calls IS NULL ORDER BY id LIMIT 1`)
    .pluck();

  /** The first audit seq whose time is at or after `at` (events are appended in time order). */
  const firstSeqFrom = (at: number): number => {
    const iso = new Date(Math.max(0, at - CLOCK_SLACK_MS)).toISOString();
    let lo = 1;
    let hi = ((maxSeq.get() as number | null) ?? 0) + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const time = timeAt.get(mid) as string | undefined;
      if (time !== undefined && time >= iso) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };

  const isUnanswered = (conversationId: string, messageId: number, since: number): boolean => {
    const last = lastMessage.get(conversationId) as { id: number; created_at: number } | undefined;
    if (last?.id !== messageId || last.created_at < since) return false;
    return lastTurnEventFrom.get(firstSeqFrom(last.created_at), conversationId) === 'message-received';
  };

  return {
    all(since) {
      const rows = lastUserMessages.all(since, since) as Array<{ conversation_id: string; channel: string; message_id: number; sender_id: string | null }>;
      if (rows.length === 0) return [];
      const lastTurnEvent = new Map<string, string>();
      for (const e of turnEventsFrom.iterate(firstSeqFrom(since)) as IterableIterator<{ conversation_id: string | null; type: string }>) {
        if (e.conversation_id !== null) lastTurnEvent.set(e.conversation_id, e.type);
      }
      return rows
        .filter((r) => lastTurnEvent.get(r.conversation_id) === 'message-received')
        .map((r) => ({ conversationId: r.conversation_id, channel: r.channel, messageId: r.message_id, senderId: r.sender_id ?? 'unknown' }));
    },
    isUnanswered,
    byPlatformId(conversationId, platformMessageId, since) {
      const messageId = byPlatform.get(conversationId, platformMessageId) as number | undefined;
      return messageId === undefined ? undefined : { messageId, unanswered: isUnanswered(conversationId, messageId, since) };
    },
    replyAfter(conversationId, messageId) {
      return reply.get(conversationId, messageId) as string | undefined;
    },
  };
}
