// Every platform message the channel host admitted, by (channel, platform conversation,
// platform message id): a redelivered event is recognised even after a restart, and a message
// admitted but not yet processed when the gateway died is processed at the next start.
// Rows are never deleted by the host itself; `state` moves queued -> done once.
import type { Db } from './database.js';

export interface AdmittedMessage {
  seq: number;
  channel: string;
  platformConversationId: string;
  threadId?: string;
  platformMessageId: string;
  conversationId: string;
  sender: string;
  senderName: string;
  text: string;
  sentAt: number;
}

interface Row {
  seq: number;
  channel: string;
  platform_conversation_id: string;
  thread_id: string;
  platform_message_id: string;
  conversation_id: string;
  sender: string;
  sender_name: string;
  text: string;
  sent_at: number;
}

export class ChannelInboundStore {
  private readonly insert;
  private readonly selectSeen;
  private readonly markDoneStmt;
  private readonly selectQueued;
  private readonly selectLatest;
  private readonly pruneStmt;

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO channel_inbound (channel, platform_conversation_id, thread_id, platform_message_id, conversation_id, sender, sender_name, text, sent_at, state, received_at)
       VALUES (@channel, @platform_conversation_id, @thread_id, @platform_message_id, @conversation_id, @sender, @sender_name, @text, @sent_at, 'queued', @received_at)
       ON CONFLICT DO NOTHING`,
    );
    this.selectSeen = db.prepare('SELECT 1 FROM channel_inbound WHERE channel = ? AND platform_conversation_id = ? AND platform_message_id = ?');
    // Done rows keep only what recognises a redelivery: the text lives in messages (or nowhere).
    this.markDoneStmt = db.prepare("UPDATE channel_inbound SET state = 'done', text = '' WHERE seq = ?");
    this.pruneStmt = db.prepare("DELETE FROM channel_inbound WHERE state = 'done' AND received_at < ?");
    this.selectQueued = db.prepare("SELECT * FROM channel_inbound WHERE state = 'queued' ORDER BY seq");
    this.selectLatest = db.prepare(
      `SELECT platform_conversation_id, thread_id, platform_message_id, conversation_id FROM channel_inbound
       WHERE seq IN (SELECT MAX(seq) FROM channel_inbound WHERE channel = ? AND received_at >= ? GROUP BY platform_conversation_id, thread_id)
       ORDER BY seq`,
    );
  }

  seen(channel: string, platformConversationId: string, platformMessageId: string): boolean {
    return this.selectSeen.get(channel, platformConversationId, platformMessageId) !== undefined;
  }

  /** Stores a new message as queued; undefined when it was seen before (a redelivery). */
  admit(message: Omit<AdmittedMessage, 'seq'>, now = Date.now()): AdmittedMessage | undefined {
    const info = this.insert.run({
      channel: message.channel,
      platform_conversation_id: message.platformConversationId,
      thread_id: message.threadId ?? '',
      platform_message_id: message.platformMessageId,
      conversation_id: message.conversationId,
      sender: message.sender,
      sender_name: message.senderName,
      text: message.text,
      sent_at: message.sentAt,
      received_at: now,
    });
    if (info.changes === 0) return undefined;
    return { ...message, seq: Number(info.lastInsertRowid) };
  }

  markDone(seq: number): void {
    this.markDoneStmt.run(seq);
  }

  /** Per (platform conversation, thread) of a channel with a message received since `sinceMs`: the last one stored. */
  latestPerConversation(channel: string, sinceMs: number): Array<{ platformConversationId: string; threadId?: string; platformMessageId: string; conversationId: string }> {
    return (this.selectLatest.all(channel, sinceMs) as Array<Pick<Row, 'platform_conversation_id' | 'thread_id' | 'platform_message_id' | 'conversation_id'>>).map((r) => ({
      platformConversationId: r.platform_conversation_id,
      ...(r.thread_id ? { threadId: r.thread_id } : {}),
      platformMessageId: r.platform_message_id,
      conversationId: r.conversation_id,
    }));
  }

  /** Forgets processed rows received before `before`; returns how many. */
  prune(before: number): number {
    return this.pruneStmt.run(before).changes;
  }

  /** Admitted but not processed (the gateway stopped in between), oldest first. */
  queued(): AdmittedMessage[] {
    return (this.selectQueued.all() as Row[]).map((r) => ({
      seq: r.seq,
      channel: r.channel,
      platformConversationId: r.platform_conversation_id,
      ...(r.thread_id ? { threadId: r.thread_id } : {}),
      platformMessageId: r.platform_message_id,
      conversationId: r.conversation_id,
      sender: r.sender,
      senderName: r.sender_name,
      text: r.text,
      sentAt: r.sent_at,
    }));
  }
}
