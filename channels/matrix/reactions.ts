// Approval decisions from reactions: a ✅ / ❌ annotation on one of the bot's prompts becomes
// ctx.decide() with the reacting user's Matrix id (the event's sender, vouched for by the
// homeserver). A reaction that may not decide changes nothing; its sender is told once per
// prompt and reason (a notice answering that reaction), when configured. Must never decide on
// a reaction to an event the bot did not send, or take the decider from anywhere but `sender`.
import type * as Sdk from 'matrix-js-sdk';
import { describeError } from '../../src/core/errors.js';
import type { ChannelContext, ChannelLogger } from '../channel.js';
import { ANSWER_KEY, APPROVAL_KEY, reactionDecision, renderText, type MessageContent } from './render.js';

export interface Reaction {
  eventId: string;
  targetEventId: string;
  key: string;
  sender: string;
}

export interface ReactionDeps {
  me: string;
  client: () => Sdk.MatrixClient;
  ctx: () => ChannelContext;
  logger: ChannelLogger;
  answerRefusals: boolean;
  send(roomId: string, content: Record<string, unknown>, txnId: string): Promise<unknown>;
}

export interface ReactionHandler {
  /** Remembers which bot event shows which approval (prompts sent by this process). */
  rememberPrompt(eventId: string, approvalId: string): void;
  handle(room: Sdk.Room, reaction: Reaction): Promise<void>;
}

export function createReactionHandler(deps: ReactionDeps): ReactionHandler {
  const promptEvents = new Map<string, string>();
  /** `${approvalId}/${user}/${reason}` already answered (each reason once). */
  const answered = new Set<string>();

  /** The approval a bot event shows: remembered, or read back from the event itself (older prompts). */
  async function approvalOf(room: Sdk.Room, eventId: string): Promise<string | undefined> {
    const known = promptEvents.get(eventId);
    if (known) return known;
    const event = room.findEventById(eventId);
    if (event) {
      if (event.getSender() !== deps.me) return undefined;
      const id = event.getContent()[APPROVAL_KEY];
      return typeof id === 'string' ? id : undefined;
    }
    const raw = await deps.client().fetchRoomEvent(room.roomId, eventId).catch(() => undefined);
    if (!raw || raw.sender !== deps.me) return undefined;
    const id = (raw.content as Record<string, unknown> | undefined)?.[APPROVAL_KEY];
    return typeof id === 'string' ? id : undefined;
  }

  return {
    rememberPrompt(eventId, approvalId) {
      if (promptEvents.size > 10_000) promptEvents.clear(); // older prompts are read back from their event
      promptEvents.set(eventId, approvalId);
    },
    async handle(room, reaction) {
      const decision = reactionDecision(reaction.key);
      if (!decision) return;
      const approvalId = await approvalOf(room, reaction.targetEventId);
      if (!approvalId) return;
      const ctx = deps.ctx();
      const outcome = await ctx.decide({ conversationId: room.roomId, approvalId, decision, userId: reaction.sender });
      deps.logger.info({ room: room.roomId, approvalId, by: ctx.identity(reaction.sender), status: outcome.status }, 'matrix reaction decided');
      if (outcome.status !== 'refused' || !deps.answerRefusals) return;
      const once = `${approvalId}/${reaction.sender}/${outcome.reason}`;
      if (answered.has(once)) return;
      if (answered.size > 10_000) answered.clear(); // bounded: at worst someone is told twice
      answered.add(once);
      const content: MessageContent = {
        ...renderText(`${reaction.sender}: ${outcome.message}`),
        msgtype: 'm.notice',
        [ANSWER_KEY]: reaction.eventId,
        'm.relates_to': { 'm.in_reply_to': { event_id: reaction.targetEventId } },
      };
      await deps.send(room.roomId, content, `ss-answer-${reaction.eventId}`).catch((err: unknown) => deps.logger.warn({ err: describeError(err) }, 'matrix: answering a reaction failed'));
    },
  };
}
