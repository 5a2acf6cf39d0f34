// Reads a (decrypted) Matrix room event into what the adapter acts on: a user's text message
// (InboundMessage), a reaction (for approvals), or a reason to ignore it. Pure functions over the
// event's plain fields, no SDK types. Must never take an identity from message text: the sender
// is the event's `sender`, which the homeserver vouches for.
import type { InboundMessage } from '../channel.js';

export interface RawEvent {
  eventId: string;
  roomId: string;
  sender: string;
  type: string;
  ts: number;
  content: Record<string, unknown>;
}

export interface RoomFacts {
  /** Joined members, the bot included. */
  memberCount: number;
  /** The sender of an event in this room, when known (for "a reply to the bot"). */
  senderOf(eventId: string): string | undefined;
}

export type ReadEvent =
  | { kind: 'message'; message: InboundMessage }
  | { kind: 'reaction'; targetEventId: string; key: string; sender: string }
  | { kind: 'ignore'; reason: string }
  | { kind: 'malformed'; reason: string };

const TEXT_TYPES = new Set(['m.text', 'm.emote']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readEvent(event: RawEvent, me: string, room: RoomFacts, options: { ignoreNotices: boolean; threads: boolean }): ReadEvent {
  if (event.sender === me) return { kind: 'ignore', reason: 'own event' };
  if (event.type === 'm.reaction') {
    const rel = event.content['m.relates_to'];
    if (!isObject(rel) || rel.rel_type !== 'm.annotation' || typeof rel.event_id !== 'string' || typeof rel.key !== 'string') return { kind: 'malformed', reason: 'matrix reaction without an annotation' };
    return { kind: 'reaction', targetEventId: rel.event_id, key: rel.key, sender: event.sender };
  }
  if (event.type !== 'm.room.message') return { kind: 'ignore', reason: `event type ${event.type}` };
  const content = event.content;
  const rel = isObject(content['m.relates_to']) ? content['m.relates_to'] : undefined;
  if (rel?.rel_type === 'm.replace') return { kind: 'ignore', reason: 'an edit' };
  if (content.msgtype === 'm.notice') {
    if (options.ignoreNotices) return { kind: 'ignore', reason: 'a notice (another bot)' };
  } else if (typeof content.msgtype === 'string' && !TEXT_TYPES.has(content.msgtype)) {
    return { kind: 'ignore', reason: `message type ${content.msgtype}` };
  }
  if (typeof content.body !== 'string' || content.body.trim() === '') return { kind: 'malformed', reason: 'matrix message without a text body' };
  if (typeof content.msgtype !== 'string') return { kind: 'malformed', reason: 'matrix message without a msgtype' };

  const threadRoot = rel?.rel_type === 'm.thread' && typeof rel.event_id === 'string' ? rel.event_id : undefined;
  const replyTo = isObject(rel?.['m.in_reply_to']) && typeof rel['m.in_reply_to'].event_id === 'string' ? rel['m.in_reply_to'].event_id : undefined;
  const direct = room.memberCount <= 2;
  const mentions = isObject(content['m.mentions']) && Array.isArray(content['m.mentions'].user_ids) ? content['m.mentions'].user_ids : [];
  const addressed =
    direct ||
    mentions.includes(me) ||
    content.body.includes(me) ||
    (replyTo !== undefined && !(rel?.is_falling_back === true) && room.senderOf(replyTo) === me) ||
    (threadRoot !== undefined && room.senderOf(threadRoot) === me);
  return {
    kind: 'message',
    message: {
      conversationId: event.roomId,
      ...(threadRoot && options.threads ? { threadId: threadRoot } : {}),
      chatType: direct ? 'direct' : 'group',
      senderId: event.sender,
      senderName: event.sender,
      text: content.body,
      time: new Date(event.ts),
      platformMessageId: event.eventId,
      ...(direct ? {} : { addressedToBot: addressed }),
    },
  };
}
