// Conversations and their message history.
import { deepFreeze } from '../core/deep-freeze.js';
import type { ChatMessage, ToolCall } from '../core/types.js';
import type { Db } from './database.js';

export interface StoredMessage {
  id: number;
  conversationId: string;
  message: ChatMessage;
  platformMessageId: string | null;
  createdAt: number;
  /** For assistant messages: the provider profile and model that wrote it. */
  answeredBy?: { profile: string; model: string };
}

interface MessageRow {
  id: number;
  conversation_id: string;
  role: ChatMessage['role'];
  content: string;
  sender_id: string | null;
  tool_calls: string | null;
  tool_call_id: string | null;
  tool_name: string | null;
  platform_message_id: string | null;
  created_at: number;
  profile: string | null;
  model: string | null;
}

/** Conversations whose recent history is kept in memory (least recently used go first). */
const HISTORY_CACHE_CONVERSATIONS = 1000;

interface CachedHistory {
  rows: StoredMessage[];
  /** How many rows the cache holds at most (the largest `limit` asked for). */
  capacity: number;
  lastId: number;
}

export class ConversationStore {
  // Every turn reads the last N messages of its conversation. The cache keeps them (frozen, so
  // no caller can change them) and each read only fetches rows newer than the last one seen.
  // It is filled only from committed reads outside transactions, so a rolled-back append can
  // never enter it; messages are never deleted, and the only update (a cleared flag) changes
  // no field the cache holds.
  // `flagged`: 0 clean, 1 flagged by the injection detector, 2 flagged and then cleared by an approver.
  private readonly history = new Map<string, CachedHistory>();
  private readonly upsertConversation;
  private readonly insertMessage;
  private readonly selectRecent;
  private readonly selectAll;
  private readonly selectExists;
  private readonly selectDuplicate;
  private readonly selectToolResult;
  private readonly selectChannel;
  private readonly selectFlaggedInView;
  private readonly selectFlaggedTexts;
  private readonly updateClearFlags;

  constructor(private readonly db: Db) {
    this.upsertConversation = db.prepare(
      `INSERT INTO conversations (id, channel, created_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at`,
    );
    this.insertMessage = db.prepare(
      `INSERT INTO messages (conversation_id, role, content, sender_id, tool_calls, tool_call_id, tool_name, platform_message_id, flagged, created_at, profile, model)
       VALUES (@conversation_id, @role, @content, @sender_id, @tool_calls, @tool_call_id, @tool_name, @platform_message_id, @flagged, @created_at, @profile, @model)`,
    );
    // Newest first straight off the index; reversed in JS (cheaper than a temp B-tree sort).
    this.selectRecent = db.prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?');
    this.selectAll = db.prepare('SELECT * FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id ASC LIMIT ?');
    this.selectExists = db.prepare('SELECT 1 FROM conversations WHERE id = ?');
    this.selectDuplicate = db.prepare('SELECT 1 FROM messages WHERE conversation_id = ? AND platform_message_id = ?');
    this.selectChannel = db.prepare('SELECT channel FROM conversations WHERE id = ?');
    this.selectToolResult = db.prepare('SELECT 1 FROM messages WHERE conversation_id = ? AND tool_call_id = ?');
    // Whether uncleared flagged text is since the turn's user message or in the history window.
    this.selectFlaggedInView = db.prepare(
      `SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = @c AND flagged = 1 AND id >= MIN(
         COALESCE((SELECT MAX(id) FROM messages WHERE conversation_id = @c AND role = 'user'), 0),
         COALESCE((SELECT id FROM messages WHERE conversation_id = @c ORDER BY id DESC LIMIT 1 OFFSET @skip), 0))) AS f`,
    );
    this.selectFlaggedTexts = db.prepare(
      `SELECT content FROM messages WHERE conversation_id = @c AND flagged = 1 AND id >= MIN(
         COALESCE((SELECT MAX(id) FROM messages WHERE conversation_id = @c AND role = 'user'), 0),
         COALESCE((SELECT id FROM messages WHERE conversation_id = @c ORDER BY id DESC LIMIT 1 OFFSET @skip), 0))
       ORDER BY id DESC LIMIT 20`,
    );
    this.updateClearFlags = db.prepare('UPDATE messages SET flagged = 2 WHERE conversation_id = ? AND flagged = 1');
  }

  /**
   * True while flagged text is in what the model sees: since the turn's user message, or among
   * the last `window` messages (orchestrator.history_messages), unless an approver cleared it.
   */
  historyFlagged(conversationId: string, window: number): boolean {
    const row = this.selectFlaggedInView.get({ c: conversationId, skip: Math.max(0, Math.floor(window) - 1) }) as { f: number };
    return row.f === 1;
  }

  /** The text of the (newest 20) uncleared flagged messages in the same view as historyFlagged. */
  flaggedTexts(conversationId: string, window: number): string[] {
    return (this.selectFlaggedTexts.all({ c: conversationId, skip: Math.max(0, Math.floor(window) - 1) }) as Array<{ content: string }>).map((r) => r.content);
  }

  /** Marks every flagged message of the conversation as cleared; returns how many were. */
  clearFlags(conversationId: string): number {
    return this.updateClearFlags.run(conversationId).changes;
  }

  ensure(conversationId: string, channel: string, now = Date.now()): void {
    this.upsertConversation.run(conversationId, channel, now, now);
  }

  exists(conversationId: string): boolean {
    return this.selectExists.get(conversationId) !== undefined;
  }

  isDuplicate(conversationId: string, platformMessageId: string): boolean {
    return this.selectDuplicate.get(conversationId, platformMessageId) !== undefined;
  }

  channelOf(conversationId: string): string | undefined {
    return (this.selectChannel.get(conversationId) as { channel: string } | undefined)?.channel;
  }

  hasToolResult(conversationId: string, toolCallId: string): boolean {
    return this.selectToolResult.get(conversationId, toolCallId) !== undefined;
  }

  append(
    conversationId: string,
    message: ChatMessage,
    options: { platformMessageId?: string; flagged?: boolean; now?: number; answeredBy?: { profile: string; model: string } } = {},
  ): number {
    const { platformMessageId, flagged = false, now = Date.now(), answeredBy } = options;
    const info = this.insertMessage.run({
      conversation_id: conversationId,
      role: message.role,
      content: message.content,
      sender_id: message.role === 'user' ? (message.senderId ?? null) : null,
      tool_calls: message.role === 'assistant' && message.toolCalls?.length ? JSON.stringify(message.toolCalls) : null,
      tool_call_id: message.role === 'tool' ? message.toolCallId : null,
      tool_name: message.role === 'tool' ? message.toolName : null,
      platform_message_id: platformMessageId ?? null,
      flagged: flagged ? 1 : 0,
      created_at: now,
      profile: answeredBy?.profile ?? null,
      model: answeredBy?.model ?? null,
    });
    return Number(info.lastInsertRowid);
  }

  /** The last `limit` messages, oldest first. The objects are frozen: copy before changing. */
  recent(conversationId: string, limit: number): StoredMessage[] {
    if (this.db.inTransaction) return (this.selectRecent.all(conversationId, limit) as MessageRow[]).reverse().map(toFrozen);
    const cached = this.history.get(conversationId);
    if (cached && cached.capacity >= limit) {
      const fresh = this.selectAll.all(conversationId, cached.lastId, cached.capacity + 1) as MessageRow[];
      if (fresh.length <= cached.capacity) {
        if (fresh.length > 0) {
          cached.rows.push(...fresh.map(toFrozen));
          if (cached.rows.length > cached.capacity) cached.rows.splice(0, cached.rows.length - cached.capacity);
          cached.lastId = cached.rows[cached.rows.length - 1]!.id;
        }
        this.history.delete(conversationId); // most recently used goes last
        this.history.set(conversationId, cached);
        return cached.rows.slice(-limit);
      }
    }
    const rows = (this.selectRecent.all(conversationId, limit) as MessageRow[]).reverse().map(toFrozen);
    this.history.delete(conversationId);
    this.history.set(conversationId, { rows, capacity: limit, lastId: rows.at(-1)?.id ?? 0 });
    if (this.history.size > HISTORY_CACHE_CONVERSATIONS) this.history.delete(this.history.keys().next().value!);
    return rows.slice();
  }

  list(conversationId: string, afterId = 0, limit = 500): StoredMessage[] {
    return (this.selectAll.all(conversationId, afterId, limit) as MessageRow[]).map(toStored);
  }
}

function toStored(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    message: toChatMessage(row),
    platformMessageId: row.platform_message_id,
    createdAt: row.created_at,
    ...(row.profile && row.model ? { answeredBy: { profile: row.profile, model: row.model } } : {}),
  };
}

function toFrozen(row: MessageRow): StoredMessage {
  return deepFreeze(toStored(row));
}

function toChatMessage(row: MessageRow): ChatMessage {
  switch (row.role) {
    case 'system':
      return { role: 'system', content: row.content };
    case 'user':
      return { role: 'user', content: row.content, ...(row.sender_id ? { senderId: row.sender_id } : {}) };
    case 'assistant':
      return {
        role: 'assistant',
        content: row.content,
        ...(row.tool_calls ? { toolCalls: JSON.parse(row.tool_calls) as ToolCall[] } : {}),
      };
    case 'tool':
      return { role: 'tool', content: row.content, toolCallId: row.tool_call_id ?? '', toolName: row.tool_name ?? '' };
  }
}
