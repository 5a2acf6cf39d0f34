// The receive() side of the channel host: one platform message from validation to a durable,
// queued row, in this order: shape check -> redelivery check -> access control and group rules
// -> approval command? -> conversation key -> rate limit -> stored as queued (one INSERT; the
// unique index makes a concurrent redelivery a duplicate) -> handed to the orchestrator in the
// background. Resolves as soon as the row is stored; never waits for the model. Refusals a user
// must hear about (pairing code, rate limit) are queued in the outbox here, once.
import type { ChannelAccessConfig, ChannelLogger, InboundMessage, ReceiveResult, RecentConversation } from '../../channels/channel.js';
import { toIdentity } from '../../channels/channel.js';
import { describeError } from '../core/errors.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import { parseApprovalCommand } from '../policy/approval-text.js';
import type { AuditLog } from '../security/audit-log.js';
import type { RateLimiter } from '../security/rate-limiter.js';
import type { AdmittedMessage, ChannelInboundStore } from '../store/channel-inbound.js';
import type { ConversationKeyStore } from '../store/conversation-keys.js';
import type { AccessControl } from './access-control.js';
import type { DecideFn } from './decisions.js';
import type { Outbox } from './outbox.js';

export const MAX_INBOUND_TEXT = 100_000;
const MAX_ID = 512;

export interface InboundDeps {
  inbound: ChannelInboundStore;
  keys: ConversationKeyStore;
  access: AccessControl;
  decide: DecideFn;
  outbox: Outbox;
  orchestrator: Pick<Orchestrator, 'handleMessage'>;
  rateLimiter?: Pick<RateLimiter, 'checkMessage'>;
  audit: AuditLog;
  logger: ChannelLogger;
  /** Known secret values out of the stored text (the orchestrator stores the same redacted text). */
  redact?: (text: string) => string;
  now?: () => number;
}

/** How long processed rows are kept for recognising redeliveries (platforms redeliver within hours). */
export const INBOUND_RETENTION_MS = 7 * 24 * 60 * 60_000;

export interface InboundPipeline {
  receive(channel: string, access: ChannelAccessConfig, message: InboundMessage): Promise<ReceiveResult>;
  /** Conversations of a channel with messages stored since `sinceMs`, and the last one stored in each. */
  recentConversations(channel: string, sinceMs: number): RecentConversation[];
  /** Hands every admitted-but-unprocessed row (from before a restart) to the orchestrator. */
  recover(): void;
  /** Resolves when every turn started by receive() or recover() has finished. */
  settled(): Promise<void>;
}

/** Why a message is unusable, or undefined when its shape is fine. */
export function invalidInbound(message: InboundMessage): string | undefined {
  const m = message as Partial<InboundMessage> | null;
  if (!m || typeof m !== 'object') return 'not an object';
  for (const key of ['conversationId', 'senderId', 'platformMessageId'] as const) {
    const v = m[key];
    if (typeof v !== 'string' || v === '' || v.length > MAX_ID) return `${key} must be a non-empty string of at most ${MAX_ID} characters`;
  }
  if (m.threadId !== undefined && (typeof m.threadId !== 'string' || m.threadId.length > MAX_ID)) return 'threadId must be a string';
  if (typeof m.senderName !== 'string') return 'senderName must be a string';
  if (typeof m.text !== 'string' || m.text.trim() === '') return 'text must be a non-empty string';
  if (m.text.length > MAX_INBOUND_TEXT) return `text is longer than ${MAX_INBOUND_TEXT} characters`;
  if (m.chatType !== 'direct' && m.chatType !== 'group') return 'chatType must be direct or group';
  if (!(m.time instanceof Date) || Number.isNaN(m.time.getTime())) return 'time must be a valid Date';
  return undefined;
}

export function createInboundPipeline(deps: InboundDeps): InboundPipeline {
  const now = deps.now ?? Date.now;
  const inflight = new Set<Promise<void>>();

  function dispatch(row: AdmittedMessage, recovering = false): void {
    const run = deps.orchestrator
      .handleMessage(
        { channel: row.channel, conversationId: row.conversationId, senderId: row.sender, senderName: row.senderName, text: row.text, time: new Date(row.sentAt), platformMessageId: row.platformMessageId },
        { preAdmitted: true, resumeIfUnanswered: recovering },
      )
      .then(
        () => undefined,
        (err: unknown) => deps.logger.error({ channel: row.channel, conversationId: row.conversationId, err: describeError(err) }, 'turn failed'),
      )
      .finally(() => {
        deps.inbound.markDone(row.seq);
        inflight.delete(run);
      });
    inflight.add(run);
  }

  /** The client missed the answer: the orchestrator sends the stored reply again (in order, in the conversation's queue). */
  function retryForClient(message: InboundMessage, channel: string, conversationId: string): void {
    const sender = toIdentity(channel, message.senderId);
    const run = deps.orchestrator
      .handleMessage(
        { channel, conversationId, senderId: sender, senderName: message.senderName, text: message.text, time: message.time, platformMessageId: message.platformMessageId },
        { preAdmitted: true, retriedByClient: true },
      )
      .then(
        () => undefined,
        (err: unknown) => deps.logger.error({ channel, conversationId, err: describeError(err) }, 'answering a client retry failed'),
      )
      .finally(() => inflight.delete(run));
    inflight.add(run);
  }

  async function receive(channel: string, access: ChannelAccessConfig, message: InboundMessage): Promise<ReceiveResult> {
    const invalid = invalidInbound(message);
    if (invalid) {
      deps.logger.warn({ channel, reason: invalid }, 'malformed platform event dropped');
      return { status: 'refused', reason: 'invalid', message: invalid };
    }
    const address = { channel, conversationId: message.conversationId, ...(message.threadId ? { threadId: message.threadId } : {}) };
    if (deps.inbound.seen(channel, message.conversationId, message.platformMessageId)) {
      const conversationKey = deps.keys.resolve(address, now());
      if (message.repeatReplyIfDuplicate) retryForClient(message, channel, conversationKey);
      return { status: 'duplicate', conversationKey };
    }
    const identity = toIdentity(channel, message.senderId);
    const verdict = deps.access.check(channel, access, identity, message);
    if (!verdict.allowed) {
      if (verdict.reason !== 'not_addressed') {
        deps.audit.append({ type: 'message-refused', actor: identity, details: { channel, reason: verdict.reason } });
        deps.logger.info({ channel, sender: identity, reason: verdict.reason }, 'message refused by channel access control');
      }
      if (verdict.notice) deps.outbox.enqueueText(outboxTargetFor(address, deps.keys.resolve(address, now())), verdict.notice);
      return { status: 'refused', reason: verdict.reason, message: verdict.message };
    }

    const conversationId = deps.keys.resolve(address, now());
    const target = outboxTargetFor(address, conversationId);
    const command = parseApprovalCommand(message.text);
    if (command) {
      // A decision, not a message for the model: recorded (for redelivery) as already done.
      const row = deps.inbound.admit(rowFor(channel, message, conversationId, identity, deps.redact), now());
      if (!row) return { status: 'duplicate', conversationKey: conversationId };
      deps.inbound.markDone(row.seq);
      const outcome = await deps.decide(channel, { ...command, userId: message.senderId, conversationId: message.conversationId });
      deps.outbox.enqueueText(target, outcome.message);
      return { status: 'admitted', conversationKey: conversationId };
    }

    const admission = deps.rateLimiter?.checkMessage({ channel, conversationId, userId: identity });
    if (admission && !admission.allowed) {
      deps.audit.append({ type: 'message-rate-limited', actor: identity, conversationId, details: { scope: admission.scope, retry_after_ms: admission.retryAfterMs } });
      const text = admission.message ?? `You are sending messages too fast. Please wait ${Math.ceil(admission.retryAfterMs / 1000)} s and try again.`;
      if (admission.notify) deps.outbox.enqueueText(target, text);
      return { status: 'refused', reason: 'rate_limited', message: text };
    }
    const row = deps.inbound.admit(rowFor(channel, message, conversationId, identity, deps.redact), now());
    if (!row) return { status: 'duplicate', conversationKey: conversationId };
    dispatch(row);
    return { status: 'admitted', conversationKey: conversationId };
  }

  return {
    receive,
    recentConversations(channel, sinceMs) {
      return deps.inbound.latestPerConversation(channel, sinceMs).map((r) => ({
        conversationId: r.platformConversationId,
        ...(r.threadId ? { threadId: r.threadId } : {}),
        lastPlatformMessageId: r.platformMessageId,
      }));
    },
    recover() {
      deps.inbound.prune(now() - INBOUND_RETENTION_MS);
      for (const row of deps.inbound.queued()) dispatch(row, true);
    },
    async settled() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
  };
}

function rowFor(channel: string, message: InboundMessage, conversationId: string, identity: string, redact?: (text: string) => string): Omit<AdmittedMessage, 'seq'> {
  return {
    channel,
    platformConversationId: message.conversationId,
    ...(message.threadId ? { threadId: message.threadId } : {}),
    platformMessageId: message.platformMessageId,
    conversationId,
    sender: identity,
    senderName: message.senderName.slice(0, 200),
    text: redact ? redact(message.text) : message.text,
    sentAt: message.time.getTime(),
  };
}

export function outboxTargetFor(address: { channel: string; conversationId: string; threadId?: string }, conversationId: string) {
  return { channel: address.channel, conversationId, platformConversationId: address.conversationId, ...(address.threadId ? { threadId: address.threadId } : {}) };
}
