// Maps a platform address (channel + platform conversation id + thread) to the gateway's
// conversation id, and back. The id of a new conversation is readable
// (`telegram:-1001/42#1`), but it is only ever looked up through this table, so platform ids
// containing ':' or '/' cannot collide. Never derives an address from the id string.
import type { Db } from './database.js';

export interface PlatformAddress {
  channel: string;
  conversationId: string;
  threadId?: string;
}

interface KeyRow {
  conversation_id: string;
  generation: number;
}

export class ConversationKeyStore {
  private readonly selectKey;
  private readonly upsertKey;
  private readonly selectExists;
  private readonly insertConversation;
  private readonly selectAddress;

  constructor(private readonly db: Db) {
    this.selectKey = db.prepare('SELECT conversation_id, generation FROM conversation_keys WHERE channel = ? AND platform_conversation_id = ? AND thread_id = ?');
    this.upsertKey = db.prepare(
      `INSERT INTO conversation_keys (channel, platform_conversation_id, thread_id, conversation_id, generation, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (channel, platform_conversation_id, thread_id) DO UPDATE SET conversation_id = excluded.conversation_id, generation = excluded.generation, updated_at = excluded.updated_at`,
    );
    this.selectExists = db.prepare('SELECT 1 FROM conversations WHERE id = ?');
    this.insertConversation = db.prepare(
      `INSERT INTO conversations (id, channel, platform_conversation_id, thread_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.selectAddress = db.prepare('SELECT channel, platform_conversation_id, thread_id FROM conversations WHERE id = ?');
  }

  /** The conversation at this address, created (with its conversations row) on first use. */
  resolve(address: PlatformAddress, now = Date.now()): string {
    const row = this.selectKey.get(address.channel, address.conversationId, address.threadId ?? '') as KeyRow | undefined;
    if (row) return row.conversation_id;
    return this.db.transaction(() => this.create(address, 0, now)).immediate();
  }

  /** Points the address at a fresh conversation (`/new`); returns its id. */
  reset(address: PlatformAddress, now = Date.now()): string {
    return this.db
      .transaction(() => {
        const row = this.selectKey.get(address.channel, address.conversationId, address.threadId ?? '') as KeyRow | undefined;
        return this.create(address, (row?.generation ?? 0) + 1, now);
      })
      .immediate();
  }

  /** Where a conversation lives on its platform; undefined for an unknown id. */
  addressOf(conversationId: string): PlatformAddress | undefined {
    const row = this.selectAddress.get(conversationId) as { channel: string; platform_conversation_id: string | null; thread_id: string } | undefined;
    if (!row) return undefined;
    return { channel: row.channel, conversationId: row.platform_conversation_id ?? conversationId, ...(row.thread_id ? { threadId: row.thread_id } : {}) };
  }

  private create(address: PlatformAddress, fromGeneration: number, now: number): string {
    const thread = address.threadId ?? '';
    let generation = fromGeneration;
    let id = conversationIdFor(address, generation);
    // An id taken by another conversation (a migrated row, an API-chosen id) moves on a generation.
    while (this.selectExists.get(id) !== undefined) id = conversationIdFor(address, ++generation);
    this.insertConversation.run(id, address.channel, address.conversationId, thread, now, now);
    this.upsertKey.run(address.channel, address.conversationId, thread, id, generation, now);
    return id;
  }
}

function conversationIdFor(address: PlatformAddress, generation: number): string {
  const thread = address.threadId ? `/${address.threadId}` : '';
  return `${address.channel}:${address.conversationId}${thread}${generation > 0 ? `#${generation}` : ''}`;
}
