// Reads a Telegram message into the contract's InboundMessage: the chat (and forum topic) as
// the address, the sender's numeric id (never a name or text) as who speaks, and in groups
// whether the bot is addressed (an @mention of it, a text_mention of it, a reply to one of its
// messages, or a /command@it). Must never trust a username in the text as an identity, and
// never throw on a malformed update: it answers `undefined` with a reason instead.
import type { Message, MessageEntity, UserFromGetMe } from 'grammy/types';
import type { InboundMessage } from '../channel.js';

export type ReadResult = { ok: true; message: InboundMessage } | { ok: false; reason: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function entityText(text: string, entity: MessageEntity): string {
  return text.slice(entity.offset, entity.offset + entity.length);
}

/** Whether a group message is for this bot, and its text with the bot's @mentions taken out. */
export function addressing(message: Message, me: UserFromGetMe): { addressed: boolean; text: string } {
  const text = message.text ?? '';
  const handle = `@${me.username}`.toLowerCase();
  let addressed = message.reply_to_message?.from?.id === me.id;
  const cuts: Array<{ offset: number; length: number }> = [];
  for (const entity of message.entities ?? []) {
    if (entity.type === 'mention' && entityText(text, entity).toLowerCase() === handle) {
      addressed = true;
      cuts.push(entity);
    } else if (entity.type === 'text_mention' && entity.user.id === me.id) {
      addressed = true;
    } else if (entity.type === 'bot_command' && entityText(text, entity).toLowerCase().endsWith(handle)) {
      addressed = true;
    }
  }
  let stripped = text;
  for (const cut of cuts.sort((a, b) => b.offset - a.offset)) stripped = stripped.slice(0, cut.offset) + stripped.slice(cut.offset + cut.length);
  stripped = stripped.replace(/\s{2,}/g, ' ').trim();
  return { addressed, text: stripped === '' ? text : stripped };
}

/** The conversation address of a message: the chat, plus the topic in a forum supergroup. */
export function addressOf(message: Pick<Message, 'chat' | 'message_thread_id' | 'is_topic_message'>): { conversationId: string; threadId?: string } {
  const conversationId = String(message.chat.id);
  return message.is_topic_message && message.message_thread_id !== undefined ? { conversationId, threadId: String(message.message_thread_id) } : { conversationId };
}

export function readMessage(raw: unknown, me: UserFromGetMe): ReadResult {
  if (!isObject(raw)) return { ok: false, reason: 'message is not an object' };
  const message = raw as unknown as Message;
  if (!isObject(message.chat) || typeof message.chat.id !== 'number') return { ok: false, reason: 'message without a chat id' };
  if (!isObject(message.from) || typeof message.from.id !== 'number') return { ok: false, reason: 'message without a sender id' };
  if (typeof message.message_id !== 'number') return { ok: false, reason: 'message without a message_id' };
  if (typeof message.text !== 'string') return { ok: false, reason: 'message without text' };
  if (typeof message.date !== 'number') return { ok: false, reason: 'message without a date' };
  if (message.entities !== undefined && !Array.isArray(message.entities)) return { ok: false, reason: 'message entities are not a list' };
  const direct = message.chat.type === 'private';
  const { addressed, text } = direct ? { addressed: true, text: message.text } : addressing(message, me);
  const name = [message.from.first_name, message.from.last_name].filter((p) => typeof p === 'string' && p !== '').join(' ');
  return {
    ok: true,
    message: {
      ...addressOf(message),
      chatType: direct ? 'direct' : 'group',
      senderId: String(message.from.id),
      senderName: name || String(message.from.id),
      text,
      time: new Date(message.date * 1000),
      platformMessageId: String(message.message_id),
      ...(direct ? {} : { addressedToBot: addressed }),
    },
  };
}
