// Streamed replies on chat platforms, built once for every adapter that can edit: while the
// model writes, the host posts a draft message (the text so far with a "…" mark) and edits it
// at a bounded pace (edit-pacer.ts); the final reply then replaces the draft through the durable
// outbox (first part by an edit, the rest as new messages), so the user ends with the same
// messages as without streaming. A draft is an outbox row (store.startDraft) before the platform
// sees it: after a crash, recover() edits a draft left open into "interrupted".
// Text shown before a tool call stays in the draft and the next model call of the turn keeps
// writing into it; an approval prompt leaves it showing the model's words (no mark).
// Never delays or drops the final reply: a failed draft or edit is skipped and the outbox
// delivers the reply anyway. Never touches approval prompts.
import type { ChannelAdapter, ChannelLogger, ChannelStreamingConfig, OutboundDelivery } from '../../channels/channel.js';
import { ChannelDeliveryError } from '../../channels/channel.js';
import { describeError } from '../core/errors.js';
import type { ReplyProgress, ReplyStreamHub } from '../core/reply-stream.js';
import type { OutboxStore } from '../store/outbox.js';
import { createEditPacer, systemClock, type EditPacer, type PacerClock } from './edit-pacer.js';
import type { Outbox, OutboxTarget } from './outbox.js';
import { splitText } from './split-text.js';

/** Appended to a draft while the model is still writing. */
export const DRAFT_MARK = ' …';
export const INTERRUPTED_NOTE = '(Interrupted: the gateway restarted before this answer was finished.)';
/** Longest wait for a draft call in flight before the final reply is queued anyway. */
const DEFAULT_SETTLE_CAP_MS = 30_000;

/** `channels.<name>.stream_replies` and its interval, as the host resolved them. */
export interface ReplyStreamingSettings {
  mode: 'edits' | 'final';
  intervalMs: number;
}

/** stream_replies resolved against what the adapter can do (edits need edit()); undefined: not streamed by the host. */
export function streamingSettings(configured: ChannelStreamingConfig | undefined, adapter: ChannelAdapter | undefined): ReplyStreamingSettings | undefined {
  if (!configured || !adapter) return undefined;
  return { mode: adapter.limits.supportsEdit && configured.replies !== 'final' ? 'edits' : 'final', intervalMs: configured.editIntervalMs };
}

export type DraftStore = Pick<OutboxStore, 'startDraft' | 'draftPosted' | 'draftFailed' | 'draftText' | 'closeDraft' | 'openDrafts' | 'pendingIn'>;

export interface ReplyDraftsDeps {
  hub: ReplyStreamHub;
  store: DraftStore;
  outbox: Pick<Outbox, 'enqueueText'>;
  /** Where a gateway conversation lives on its platform (undefined: not a platform conversation). */
  targetOf(channel: string, conversationId: string): OutboxTarget | undefined;
  /** The channel's settings, or undefined when the host does not stream it (web, API). */
  settingsOf(channel: string): ReplyStreamingSettings | undefined;
  /** The channel's adapter while it is running. */
  adapterOf(channel: string): ChannelAdapter | undefined;
  /** The channel's message length limit once its adapter is built (undefined: no such channel now). */
  textLimitOf(channel: string): number | undefined;
  logger: ChannelLogger;
  clock?: PacerClock;
  settleCapMs?: number;
}

export interface ReplyDrafts {
  /** Closes drafts a crash left open (marked interrupted), then listens to the reply streams. */
  start(): void;
  stop(): Promise<void>;
  /**
   * A plain message is about to be queued: the seq of the draft it replaces (posted, or being
   * posted), if any. Stops the draft's updates; the outbox waits for settled() before editing.
   */
  takeForReply(conversationId: string): number | undefined;
  /** An approval prompt is about to be queued: a draft keeps the model's words, unmarked (queued before the prompt). */
  closeBeforePrompt(conversationId: string): void;
  /** Resolves when the host's call on this draft (if any) has ended, or after a cap. */
  settled(draftSeq: number): Promise<void>;
}

interface Draft {
  target: OutboxTarget;
  adapter: ChannelAdapter;
  pacer: EditPacer;
  /** The outbox row, once posting began. */
  seq?: number;
  platformMessageId?: string;
  /** The newest streamed text (unmarked). */
  latest: string;
}

export function createReplyDrafts(deps: ReplyDraftsDeps): ReplyDrafts {
  const clock = deps.clock ?? systemClock;
  const drafts = new Map<string, Draft>();
  /** Drafts handed over to the outbox whose last call may still be in flight, by seq. */
  const settling = new Map<number, Promise<void>>();
  let unsubscribe = (): void => undefined;

  const limitOf = (adapter: ChannelAdapter) => adapter.limits.maxTextLength;
  /** What fits in one message of this platform (the first part of the split reply). */
  const fit = (text: string, limit: number) => splitText(text, limit)[0] ?? '';

  function streams(channel: string): boolean {
    return deps.settingsOf(channel)?.mode === 'edits' && deps.adapterOf(channel) !== undefined;
  }

  function delivery(draft: Draft, text: string): OutboundDelivery {
    const { platformConversationId, threadId } = draft.target;
    return { deliveryId: `draft-${draft.seq ?? 0}`, address: { conversationId: platformConversationId, ...(threadId ? { threadId } : {}) }, text };
  }

  async function send(draft: Draft, text: string): Promise<void> {
    const shown = fit(text, limitOf(draft.adapter) - DRAFT_MARK.length) + DRAFT_MARK;
    if (draft.seq === undefined) {
      // Never overtake messages of this conversation still waiting in the outbox.
      if (deps.store.pendingIn(draft.target.channel, draft.target.conversationId) > 0) return;
      draft.seq = deps.store.startDraft(draft.target, text, clock.now());
      try {
        const { platformMessageId } = await draft.adapter.deliver(delivery(draft, shown));
        deps.store.draftPosted(draft.seq, platformMessageId, clock.now());
        draft.platformMessageId = platformMessageId;
      } catch (err) {
        deps.store.draftFailed(draft.seq, describeError(err).slice(0, 500));
        draft.seq = undefined;
        throw err;
      }
      return;
    }
    if (draft.platformMessageId === undefined) return;
    await draft.adapter.edit(draft.platformMessageId, delivery(draft, shown));
    deps.store.draftText(draft.seq, text);
  }

  function closeWith(draft: Draft, text: string): void {
    if (draft.seq === undefined) return;
    deps.outbox.enqueueText(draft.target, fit(text, limitOf(draft.adapter)), { replaceDraft: draft.seq });
  }

  function onProgress(event: ReplyProgress): void {
    if (!streams(event.channel)) return;
    let draft = drafts.get(event.conversationId);
    if (event.done && event.final) {
      // The reply itself follows at once through the outbox: no more edits.
      void draft?.pacer.stop();
      return;
    }
    if (event.text === '') return;
    if (!draft) {
      const target = deps.targetOf(event.channel, event.conversationId);
      const adapter = deps.adapterOf(event.channel);
      const settings = deps.settingsOf(event.channel);
      if (!target || !adapter || !settings) return;
      const created: Draft = {
        target,
        adapter,
        latest: '',
        pacer: createEditPacer({
          intervalMs: settings.intervalMs,
          clock,
          send: (text) => send(created, text),
          retryAfterMs: (err) => (err instanceof ChannelDeliveryError ? err.retryAfterMs : undefined),
          onError: (err) => deps.logger.warn({ channel: target.channel, err: describeError(err).slice(0, 300) }, 'a streamed draft update failed; skipped'),
        }),
      };
      draft = created;
      drafts.set(event.conversationId, draft);
    }
    draft.latest = event.text;
    draft.pacer.update(event.text);
  }

  /** Stops the draft's updates; its call in flight (if any) is what settled() waits for. */
  function take(conversationId: string): Draft | undefined {
    const draft = drafts.get(conversationId);
    if (!draft) return undefined;
    drafts.delete(conversationId);
    const ending = draft.pacer.stop();
    if (draft.seq === undefined) return undefined;
    const seq = draft.seq;
    settling.set(seq, ending);
    void ending.finally(() => settling.delete(seq));
    return draft;
  }

  return {
    start() {
      for (const row of deps.store.openDrafts()) {
        const adapterLimit = deps.textLimitOf(row.channel);
        if (row.draft === 'posting' || row.platformMessageId === undefined) {
          // Cut off before the platform answered: nothing known to edit.
          deps.store.draftFailed(row.seq, 'the gateway stopped before the platform answered');
          continue;
        }
        if (adapterLimit === undefined) {
          deps.store.closeDraft(row.seq);
          continue;
        }
        const target: OutboxTarget = { channel: row.channel, conversationId: row.conversationId, platformConversationId: row.platformConversationId, ...(row.threadId ? { threadId: row.threadId } : {}) };
        const text = `${fit(row.text, adapterLimit - INTERRUPTED_NOTE.length - 2)}\n\n${INTERRUPTED_NOTE}`;
        deps.outbox.enqueueText(target, fit(text, adapterLimit), { replaceDraft: row.seq });
        deps.logger.info({ channel: row.channel, outbox_seq: row.seq }, 'a streamed draft interrupted by a restart is marked so');
      }
      unsubscribe = deps.hub.subscribe(onProgress, {
        wants: (channel, conversationId) => streams(channel) && deps.targetOf(channel, conversationId) !== undefined,
      });
    },
    async stop() {
      unsubscribe();
      await Promise.allSettled([...drafts.values()].map((d) => d.pacer.stop()));
    },
    takeForReply(conversationId) {
      return take(conversationId)?.seq;
    },
    closeBeforePrompt(conversationId) {
      const draft = take(conversationId);
      if (draft) closeWith(draft, draft.latest);
    },
    async settled(draftSeq) {
      const ending = settling.get(draftSeq);
      if (!ending) return;
      let cap: unknown;
      await Promise.race([ending, new Promise<void>((resolve) => (cap = clock.setTimeout(resolve, deps.settleCapMs ?? DEFAULT_SETTLE_CAP_MS)))]);
      clock.clearTimeout(cap);
    },
  };
}
