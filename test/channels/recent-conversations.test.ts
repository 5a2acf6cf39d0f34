// The channel host's "what did I store last, per conversation" query that adapters with platform
// history (Discord) catch up from after a restart: the newest stored message per conversation
// and thread, only for this channel, only conversations with traffic since the given time,
// including rows already processed; pruned rows are gone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChannelInboundStore } from '../../src/store/channel-inbound.js';
import { openDatabase, type Db } from '../../src/store/database.js';

describe('ChannelInboundStore.latestPerConversation', () => {
  let dir: string;
  let db: Db;
  let store: ChannelInboundStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'securesphere-recent-'));
    db = openDatabase(dir);
    store = new ChannelInboundStore(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const admit = (channel: string, conversation: string, id: string, at: number, threadId?: string) =>
    store.admit({ channel, platformConversationId: conversation, ...(threadId ? { threadId } : {}), platformMessageId: id, conversationId: `${channel}-${conversation}`, sender: `${channel}:u`, senderName: 'u', text: 't', sentAt: at }, at);

  it('returns the newest stored message per conversation and thread of one channel, since a time', () => {
    admit('discord', 'c1', '100', 1_000);
    const done = admit('discord', 'c1', '200', 2_000)!;
    store.markDone(done.seq);
    admit('discord', 'c1', '150', 3_000, 't9');
    admit('discord', 'c2', '50', 500);
    admit('slack', 'c1', '999', 4_000);
    expect(store.latestPerConversation('discord', 900)).toEqual([
      { platformConversationId: 'c1', platformMessageId: '200', conversationId: 'discord-c1' },
      { platformConversationId: 'c1', threadId: 't9', platformMessageId: '150', conversationId: 'discord-c1' },
    ]);
    // Oldest stored first (by arrival), so catch-up reads conversations in the order they spoke.
    expect(store.latestPerConversation('discord', 0).map((r) => r.platformMessageId)).toEqual(['200', '150', '50']);
    expect(store.latestPerConversation('discord', 5_000)).toEqual([]);
    // A processed row past retention is gone; the query falls back to what is left.
    store.prune(2_500);
    expect(store.latestPerConversation('discord', 0).map((r) => r.platformMessageId)).toEqual(['100', '150', '50']);
  });
});
