// Delivers the durable outbox to channel adapters: per conversation strictly in order, across
// conversations concurrently; transient failures are retried with exponential back-off, a
// platform's rate-limit answer (ChannelDeliveryError.retryAfterMs) is honoured exactly, a
// permanent refusal ends the entry as failed. Entries wait while their channel is not running
// and go out once it is. A reply replacing a streamed draft (reply-drafts.ts) is an edit of the
// draft's row; it waits for the host's draft call in flight, and is sent as a new message when
// the draft never reached the platform or can no longer be edited. A row that may already be on
// the platform (queued before this process started, or last tried without a clear answer) is
// handed over marked `uncertain`, so an adapter that can look for its own message does so first.
// Never sends anything that is not a stored row, never reorders a conversation's rows, and never
// throws at the code that queued a message.
import { ChannelDeliveryError, type ChannelAdapter, type ChannelLogger, type OutboundDelivery } from '../../channels/channel.js';
import { describeError } from '../core/errors.js';
import type { ApprovalPrompt } from '../core/types.js';
import type { NewOutboxEntry, OutboxEntry, OutboxStore } from '../store/outbox.js';
import { splitText } from './split-text.js';

export interface OutboxTarget {
  channel: string;
  conversationId: string;
  platformConversationId: string;
  threadId?: string;
}

export interface RetryPolicy {
  /** First retry after this long; doubles per attempt. */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_OUTBOX_RETRY: RetryPolicy = { baseMs: 1000, maxMs: 60_000 };

export interface OutboxDeps {
  store: OutboxStore;
  logger: ChannelLogger;
  retry?: RetryPolicy;
  now?: () => number;
}

export interface Outbox {
  /** Starts delivering a channel's rows to this adapter (pending rows from before go first). */
  attach(channel: string, adapter: ChannelAdapter): void;
  /** Stops handing rows to the channel; rows stay stored. */
  detach(channel: string): void;
  /** The longest text one message may carry on this channel (rows are split by it when queued). */
  setTextLimit(channel: string, limit: number): void;
  /**
   * Queues a plain message (split at the channel's limit). `replaceDraft`: the seq of a
   * streamed draft on the platform; the first part edits it into place (the rest follow as new
   * messages) and the draft is closed in the same transaction.
   */
  enqueueText(target: OutboxTarget, text: string, options?: { replaceDraft?: number }): OutboxEntry[];
  /**
   * Before an edit of a streamed draft goes out: resolves once the host's own call on that draft
   * (posting it, an edit) has ended, so the reply never races a draft update.
   */
  setDraftSettler(settled: (draftSeq: number) => Promise<void>): void;
  /** Queues an approval prompt; its buttons ride on the last part. */
  enqueuePrompt(target: OutboxTarget, text: string, prompt: ApprovalPrompt): OutboxEntry[];
  /** Queues an edit of every copy of an approval's prompt (decided, expired). */
  enqueuePromptUpdate(approvalId: string, text: string, prompt: ApprovalPrompt): OutboxEntry[];
  backlog(channel: string): number;
  /** Forgets delivered and failed rows older than the retention (30 days); returns how many. */
  prune(): number;
  /** Resolves when no delivery is in flight and nothing due is waiting (tests, shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_TEXT_LIMIT = 4000;
/** Delivered rows are kept this long (what was sent, when, as which platform message). */
export const OUTBOX_RETENTION_MS = 30 * 24 * 60 * 60_000;
const MAX_PARALLEL_SENDS = 8;
/** Never retry sooner than this, whatever a platform answers (a retry_after of 0 must not spin). */
const MIN_RETRY_MS = 100;

export function createOutbox(deps: OutboxDeps): Outbox {
  const { store, logger } = deps;
  const retry = deps.retry ?? DEFAULT_OUTBOX_RETRY;
  const now = deps.now ?? Date.now;
  const adapters = new Map<string, ChannelAdapter>();
  const limits = new Map<string, number>();
  const pumping = new Map<string, Promise<void>>();
  const again = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  let draftSettled: (draftSeq: number) => Promise<void> = async () => undefined;
  // Whether an entry may already be on the platform (OutboundDelivery.uncertain): what its last
  // attempt here said (true: no clear answer), or, before any attempt here, whether it was queued
  // before this outbox started.
  const startedAt = now();
  const inDoubt = new Map<number, boolean>();
  const uncertain = (entry: OutboxEntry): boolean => inDoubt.get(entry.seq) ?? entry.createdAt < startedAt;

  const limitOf = (channel: string) => limits.get(channel) ?? DEFAULT_TEXT_LIMIT;

  function kick(channel: string): void {
    if (stopped || !adapters.has(channel)) return;
    if (pumping.has(channel)) {
      again.add(channel);
      return;
    }
    const run = pump(channel).finally(() => {
      pumping.delete(channel);
      if (again.delete(channel)) kick(channel);
    });
    pumping.set(channel, run);
  }

  async function pump(channel: string): Promise<void> {
    for (;;) {
      const adapter = adapters.get(channel);
      if (!adapter || stopped) return;
      const at = now();
      const heads = store.heads(channel);
      const due = heads.filter((h) => h.nextAttemptAt <= at);
      if (due.length === 0) {
        const next = Math.min(...heads.map((h) => h.nextAttemptAt));
        if (Number.isFinite(next)) schedule(channel, next - at);
        return;
      }
      // Different conversations go out side by side, a few at a time (platforms limit bursts).
      for (let i = 0; i < due.length; i += MAX_PARALLEL_SENDS) {
        await Promise.all(due.slice(i, i + MAX_PARALLEL_SENDS).map((entry) => deliverOne(adapter, entry)));
      }
    }
  }

  function schedule(channel: string, delayMs: number): void {
    clearTimeout(timers.get(channel));
    const timer = setTimeout(() => {
      timers.delete(channel);
      kick(channel);
    }, Math.max(0, delayMs));
    timer.unref();
    timers.set(channel, timer);
  }

  function toDelivery(entry: OutboxEntry): OutboundDelivery {
    return {
      deliveryId: String(entry.seq),
      address: { conversationId: entry.platformConversationId, ...(entry.threadId ? { threadId: entry.threadId } : {}) },
      text: entry.text,
      ...(entry.approval ? { approval: entry.approval } : {}),
      ...(uncertain(entry) ? { uncertain: true } : {}),
      queuedAt: entry.createdAt,
    };
  }

  async function deliverOne(adapter: ChannelAdapter, entry: OutboxEntry): Promise<void> {
    try {
      await attempt(adapter, entry);
      inDoubt.delete(entry.seq);
    } catch (err) {
      const failure = err instanceof ChannelDeliveryError ? err.failure : 'transient';
      // The platform's answer (429, a refusal) says the message is not there; a timeout or a 5xx
      // may have come after it was sent. A refused entry is given up and needs no record.
      if (failure === 'permanent') inDoubt.delete(entry.seq);
      else inDoubt.set(entry.seq, failure === 'transient');
      failed(entry, err);
    }
  }

  async function attempt(adapter: ChannelAdapter, entry: OutboxEntry): Promise<void> {
    if (entry.kind === 'send') {
      const { platformMessageId } = await adapter.deliver(toDelivery(entry));
      store.markDelivered(entry.seq, platformMessageId, now());
      return;
    }
    let target = entry.editOf !== undefined ? store.get(entry.editOf) : undefined;
    if (target?.draft !== undefined) {
      await draftSettled(target.seq);
      target = store.get(target.seq);
    }
    // A draft that never made it to the platform: the reply goes out as a new message.
    const draftGone = target?.draft !== undefined && target.platformMessageId === undefined;
    if (!draftGone && (!target || target.state === 'failed' || target.platformMessageId === undefined)) {
      store.markFailed(entry.seq, 'the message to edit was never delivered');
      return;
    }
    if (draftGone || !adapter.limits.supportsEdit) {
      const { platformMessageId } = await adapter.deliver(toDelivery(entry));
      store.markDelivered(entry.seq, platformMessageId, now());
      return;
    }
    await editOrSendInstead(adapter, entry, target!);
  }

  /** Records a failed attempt: given up when the platform refused for good, else retried later. */
  function failed(entry: OutboxEntry, err: unknown): void {
    const reason = describeError(err).slice(0, 500);
    if (err instanceof ChannelDeliveryError && err.failure === 'permanent') {
      store.markFailed(entry.seq, reason);
      logger.error({ channel: entry.channel, outbox_seq: entry.seq, reason }, 'outbound message refused by the platform; given up');
      return;
    }
    const wait =
      err instanceof ChannelDeliveryError && err.failure === 'rate_limited' && err.retryAfterMs !== undefined
        ? Math.max(MIN_RETRY_MS, err.retryAfterMs)
        : Math.max(MIN_RETRY_MS, Math.min(retry.maxMs, retry.baseMs * 2 ** Math.min(entry.attempts, 30)));
    store.markRetry(entry.seq, now() + wait, reason);
    logger.warn({ channel: entry.channel, outbox_seq: entry.seq, attempts: entry.attempts + 1, retry_in_ms: wait, reason }, 'outbound message not delivered; will retry');
  }

  /**
   * Edits a delivered message. When the platform refuses for good to edit a streamed draft
   * (deleted by the user, too old), the reply it was to become is sent as a new message: a
   * draft that cannot be replaced must never cost the user the final text.
   */
  async function editOrSendInstead(adapter: ChannelAdapter, entry: OutboxEntry, target: OutboxEntry): Promise<void> {
    try {
      await adapter.edit(target.platformMessageId!, toDelivery(entry));
      store.markDelivered(entry.seq, target.platformMessageId!, now());
    } catch (err) {
      if (target.draft === undefined || !(err instanceof ChannelDeliveryError && err.failure === 'permanent')) throw err;
      logger.warn({ channel: entry.channel, outbox_seq: entry.seq, reason: describeError(err).slice(0, 300) }, 'the streamed draft could not be edited; the reply is sent as a new message');
      const { platformMessageId } = await adapter.deliver(toDelivery(entry));
      store.markDelivered(entry.seq, platformMessageId, now());
    }
  }

  function queue(entries: NewOutboxEntry[], closeDraft?: number): OutboxEntry[] {
    if (entries.length === 0) return [];
    const stored = store.enqueue(entries, now(), closeDraft);
    for (const channel of new Set(entries.map((e) => e.channel))) kick(channel);
    return stored;
  }

  function base(target: OutboxTarget): Omit<NewOutboxEntry, 'kind' | 'text'> {
    return { channel: target.channel, conversationId: target.conversationId, platformConversationId: target.platformConversationId, ...(target.threadId ? { threadId: target.threadId } : {}) };
  }

  return {
    attach(channel, adapter) {
      adapters.set(channel, adapter);
      limits.set(channel, adapter.limits.maxTextLength);
      kick(channel);
    },
    detach(channel) {
      adapters.delete(channel);
      clearTimeout(timers.get(channel));
      timers.delete(channel);
    },
    setDraftSettler(settled) {
      draftSettled = settled;
    },
    setTextLimit(channel, limit) {
      limits.set(channel, limit);
    },
    enqueueText(target, text, options = {}) {
      const draft = options.replaceDraft;
      return queue(
        splitText(text, limitOf(target.channel)).map((part, i) => ({
          ...base(target),
          ...(i === 0 && draft !== undefined ? { kind: 'edit' as const, editOf: draft } : { kind: 'send' as const }),
          text: part,
        })),
        draft,
      );
    },
    enqueuePrompt(target, text, prompt) {
      const parts = splitText(text, limitOf(target.channel));
      return queue(
        parts.map((part, i) => ({
          ...base(target),
          kind: 'send' as const,
          text: part,
          approvalId: prompt.approvalId,
          ...(i === parts.length - 1 ? { approval: prompt } : {}),
        })),
      );
    },
    enqueuePromptUpdate(approvalId, text, prompt) {
      const copies = store.promptCopies(approvalId);
      return queue(
        copies.map((copy) => {
          const limit = limitOf(copy.channel);
          const fitted = text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
          return {
            channel: copy.channel,
            conversationId: copy.conversationId,
            platformConversationId: copy.platformConversationId,
            ...(copy.threadId ? { threadId: copy.threadId } : {}),
            kind: 'edit' as const,
            text: fitted,
            approval: prompt,
            approvalId,
            editOf: copy.seq,
          };
        }),
      );
    },
    backlog: (channel) => store.backlog(channel),
    prune: () => store.prune(now() - OUTBOX_RETENTION_MS),
    async idle() {
      for (;;) {
        const running = [...pumping.values()];
        if (running.length === 0) return;
        await Promise.allSettled(running);
      }
    },
    async stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...pumping.values()]);
      adapters.clear();
    },
  };
}
