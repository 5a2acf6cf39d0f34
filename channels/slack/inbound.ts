// Reads Slack events into the channel contract's InboundMessage: a DM is a direct conversation;
// an @mention in a channel is addressed to the bot and, outside a thread, starts one (the thread
// is the conversation, keyed by its parent's ts); a reply in a thread belongs to that thread's
// conversation. The sender id is Slack's `user` field, qualified with its team
// (`T…:U…`) when the user belongs to another workspace than the bot's (Slack Connect), so an
// allowlisted `U…` of this workspace can never be matched by a stranger's id. A reply in a
// thread the bot has answered in is addressed to it (it replies to the bot's messages).
// Must never take an identity from message text, and never answer other bots or edits.
import type { InboundMessage } from '../channel.js';
import { slackTextToPlain } from './render.js';

export interface SlackWorkspaceInfo {
  teamId: string;
  botUserId: string;
  botId: string;
}

export type ReadResult = { ok: true; message: InboundMessage } | { ok: false; reason: string; malformed: boolean };

type Event = Record<string, unknown>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The raw sender id the host turns into `slack:<id>`: `U…`, or `T…:U…` for another workspace's user. */
export function senderIdOf(userId: string, userTeam: string | undefined, info: SlackWorkspaceInfo): string {
  return userTeam && userTeam !== info.teamId ? `${userTeam}:${userId}` : userId;
}

function timeOf(ts: string): Date {
  const seconds = Number(ts);
  return Number.isFinite(seconds) ? new Date(seconds * 1000) : new Date();
}

const IGNORED_SUBTYPES_OK = new Set([undefined, 'thread_broadcast']);

/**
 * A `message` or `app_mention` event to an InboundMessage, or why not. `inBotThread` says whether
 * the bot has posted in a thread: a reply there is addressed to it without a new mention.
 */
export function readEvent(event: Event, info: SlackWorkspaceInfo, inBotThread: (channel: string, threadTs: string) => boolean = () => false): ReadResult {
  const type = event.type;
  const subtype = event.subtype as string | undefined;
  if (type !== 'message' && type !== 'app_mention') return { ok: false, reason: `event type ${String(type)} is not handled`, malformed: false };
  if (!IGNORED_SUBTYPES_OK.has(subtype) || event.bot_id !== undefined) return { ok: false, reason: 'an edit, a deletion, a join or a bot message', malformed: false };
  const channel = str(event.channel);
  const user = str(event.user);
  const ts = str(event.ts);
  if (!channel || !user || !ts || !/^\d+\.\d+$/.test(ts)) return { ok: false, reason: 'slack event without channel, user or ts', malformed: true };
  if (typeof event.text !== 'string') return { ok: false, reason: 'slack message without text', malformed: false };
  const threadTs = str(event.thread_ts);
  const mentionsBot = event.text.includes(`<@${info.botUserId}>`) || event.text.includes(`<@${info.botUserId}|`);
  const isDirect = type === 'message' && event.channel_type === 'im';
  // In channels the app_mention event carries the mention; its `message` twin is left to it.
  if (type === 'message' && !isDirect && mentionsBot) return { ok: false, reason: 'mention handled by app_mention', malformed: false };
  const text = slackTextToPlain(event.text, info.botUserId);
  if (text === '') return { ok: false, reason: 'empty message', malformed: false };
  const message: InboundMessage = {
    conversationId: channel,
    chatType: isDirect ? 'direct' : 'group',
    senderId: senderIdOf(user, str(event.user_team) ?? str(event.team), info),
    senderName: user,
    text,
    time: timeOf(ts),
    platformMessageId: ts,
    addressedToBot: isDirect || type === 'app_mention' || (threadTs !== undefined && inBotThread(channel, threadTs)),
  };
  // A thread is its own conversation; in a channel a top-level message starts one (answered inside it).
  if (threadTs) message.threadId = threadTs;
  else if (!isDirect) message.threadId = ts;
  return { ok: true, message };
}
