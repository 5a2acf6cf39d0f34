// Nothing lost while the gateway process was down. A resume cannot cover that gap (the session
// died with the process), so whenever a new gateway session starts, each conversation of this
// channel with recent traffic is read from Discord's channel history after the last message the
// gateway stored for it, oldest first, and handed to the host like a live message; the host's
// inbound de-duplication makes a message seen twice (live and in history) count once.
// A conversation whose history could not be read (REST down, 5xx) is tried again by the adapter.
// Must never answer a message the host has already stored, or fail start-up over one channel.
import type { Client, Message } from 'discord.js';
import type { ChannelContext, ChannelLogger } from '../channel.js';
import { describeDiscordError } from './delivery-errors.js';
import { bySnowflake, readMessage } from './inbound.js';

const PAGE = 100;
/** At most this many pages (of 100) per conversation and catch-up. */
const MAX_PAGES = 20;

/** Reads each recent conversation's history; resolves with how many messages were admitted and how many conversations could not be read. */
export async function catchUpConversations(deps: { client: Client; host: ChannelContext; botId: string; sinceMs: number; logger: ChannelLogger }): Promise<{ admitted: number; failed: number }> {
  const { client, host, logger } = deps;
  const recent = (await host.recentConversations?.(deps.sinceMs)) ?? [];
  let handed = 0;
  let failed = 0;
  for (const conversation of recent) {
    const channelId = conversation.threadId ?? conversation.conversationId;
    try {
      const channel = await client.channels.fetch(channelId);
      if (!channel?.isTextBased()) continue;
      let after = conversation.lastPlatformMessageId;
      for (let page = 0; page < MAX_PAGES; page++) {
        const batch = await channel.messages.fetch({ after, limit: PAGE, cache: false });
        const messages: Message[] = [...batch.values()].sort((a, b) => bySnowflake(a.id, b.id));
        for (const message of messages) {
          const read = readMessage(message, deps.botId);
          if (read.kind !== 'message') continue;
          const result = await host.receive(read.message);
          if (result.status === 'admitted') handed += 1;
        }
        if (messages.length < PAGE) break;
        after = messages.at(-1)!.id;
      }
    } catch (err) {
      failed += 1;
      logger.warn({ channel: 'discord', conversation: channelId, err: describeDiscordError(err) }, 'discord: could not read history to catch up; will try again (live messages still work)');
    }
  }
  if (handed > 0) logger.info({ channel: 'discord', messages: handed }, 'discord: answered messages sent while the gateway was down');
  return { admitted: handed, failed };
}
