// Turns a discord.js Message into the channel host's InboundMessage: DMs are direct chats,
// guild channels and threads are groups where the bot answers when mentioned or replied to
// (the host applies that rule; in a thread the bot started, every message is for it); the bot's own mention is taken out of the text. The sender is
// always the platform's author field. Bots, webhooks and system messages are not conversations.
// Must never return a discord.js type to the rest of the gateway.
import type { Message } from 'discord.js';
import type { InboundMessage } from '../channel.js';

export type ReadMessage = { kind: 'message'; message: InboundMessage } | { kind: 'ignore'; reason: string };

export function readMessage(message: Message, botId: string): ReadMessage {
  if (message.author.bot || message.author.id === botId || message.webhookId) return { kind: 'ignore', reason: 'from a bot or webhook' };
  if (message.system) return { kind: 'ignore', reason: 'system message' };
  const mentioned = message.mentions.users.has(botId);
  const repliedToBot = message.mentions.repliedUser?.id === botId;
  const inBotThread = message.channel.isThread() && message.channel.ownerId === botId;
  const text = message.content.replace(new RegExp(`<@!?${botId}>`, 'g'), '').trim();
  if (text === '') return { kind: 'ignore', reason: 'no text (attachments, stickers or only a mention)' };
  return {
    kind: 'message',
    message: {
      conversationId: message.channelId,
      chatType: message.guildId ? 'group' : 'direct',
      senderId: message.author.id,
      senderName: message.author.globalName ?? message.author.username,
      text,
      time: message.createdAt,
      platformMessageId: message.id,
      ...(message.guildId ? { addressedToBot: mentioned || repliedToBot || inBotThread } : {}),
    },
  };
}

/** Orders snowflakes (ids are time-ordered 64-bit numbers sent as strings). */
export function bySnowflake(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
