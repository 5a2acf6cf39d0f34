// The orchestrator: the one place a message becomes a turn. It keeps one turn at a time per
// conversation, stores every step, and continues a suspended turn once its approvals are
// decided. Channels, the API and the approval service only call the four methods below.
import type { InterruptedCalls } from '../agents/sandbox.js';
import { describeError } from '../core/errors.js';
import { withTimeout } from '../core/with-timeout.js';
import type { ActionRequest, InboundMessage } from '../core/types.js';
import { createActionRunner, type ActionOutcome } from './action-runner.js';
import { ConversationQueue } from './conversation-queue.js';
import type { OrchestratorDeps, ScanResult } from './deps.js';
import { createTurnLoop, type TurnContext } from './turn-loop.js';
import type { TurnOutcome } from './turn-outcome.js';
import { createUnansweredQueries } from './unanswered.js';

/** How far back start-up (and a retried message id) looks for messages a crash left unanswered. */
const UNANSWERED_RECOVERY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface DirectActionRequest {
  conversationId: string;
  skill: string;
  operation: string;
  arguments: unknown;
  requester: string;
  channel?: string;
}

export interface HandleMessageOptions {
  /** The channel host already rate-limited this message at receive(): do not count it twice. */
  preAdmitted?: boolean;
  /**
   * Recovery after a crash: when this message is already stored and nothing answered it yet
   * (the gateway died mid-turn), continue the turn; an answered one is left alone (its reply
   * already went through the outbox).
   */
  resumeIfUnanswered?: boolean;
  /** The user's client re-sent a message it saw no answer to: send the stored reply again. */
  retriedByClient?: boolean;
}

/** A direct request's outcome: as for a tool call, or refused by the rate limits before anything ran. */
export type DirectActionOutcome = ActionOutcome | { kind: 'rate_limited'; retryAfterMs: number };

export interface Orchestrator {
  handleMessage(message: InboundMessage, options?: HandleMessageOptions): Promise<TurnOutcome>;
  /** Rate limited like messages (same buckets): a flood of direct requests is refused, not queued. */
  requestAction(request: DirectActionRequest): Promise<DirectActionOutcome>;
  /** Continues a conversation after an approval decision (or at start-up). */
  resume(conversationId: string): Promise<TurnOutcome | undefined>;
  /** At start-up: settles actions a crash interrupted and resumes decided ones. */
  recover(): Promise<void>;
  drain(): Promise<void>;
}

export function createOrchestrator(deps: OrchestratorDeps): Orchestrator {
  const now = deps.now ?? Date.now;
  const queue = new ConversationQueue();
  const runner = createActionRunner(deps);
  const loop = createTurnLoop(deps, runner);
  const unanswered = createUnansweredQueries(deps.db);

  async function handleMessage(message: InboundMessage, options: HandleMessageOptions = {}): Promise<TurnOutcome> {
    const conversationId = message.conversationId;
    const empty: TurnOutcome = { conversationId, status: 'completed', actions: [], pendingApprovals: [] };
    const ctx: TurnContext = { channel: message.channel, conversationId, userId: message.senderId };
    return queue.run(conversationId, async () => {
      // The stored message and its audit events.
      const store = (scan: ScanResult): void => {
        deps.conversations.ensure(conversationId, message.channel, now());
        const id = deps.conversations.append(
          conversationId,
          { role: 'user', content: deps.redact ? deps.redact(message.text) : message.text, senderId: message.senderId },
          { platformMessageId: message.platformMessageId, flagged: scan.flagged, now: now() },
        );
        deps.audit.append({ type: 'message-received', actor: message.senderId, conversationId, details: { channel: message.channel, message_id: id, length: message.text.length, flagged: scan.flagged } });
        if (scan.flagged) {
          deps.audit.append({ type: 'injection-detected', actor: 'detector', conversationId, details: { where: 'inbound', message_id: id, score: scan.score, reasons: scan.reasons } });
        }
      };
      let scan: ScanResult = { score: 0, flagged: false, reasons: [] };
      // Admission, de-duplication, the scan and the stored message: one transaction. The detector
      // runs only for admitted, new messages, so a flood of refused ones costs no scans. Only a
      // text for the detector's sentence encoder (chat-sized, near the threshold) makes the scan
      // wait: that message is stored in a second transaction once it is scored, while the
      // conversation's queue keeps any other copy of it out.
      // (A transaction may not return a promise: better-sqlite3 refuses it, so it comes back wrapped.)
      const refused = deps.db.transaction((): { retryAfterMs: number; notify: boolean; message?: string } | 'duplicate' | { scanning: Promise<ScanResult> } | undefined => {
        const admission = options.preAdmitted ? undefined : deps.admit?.({ channel: message.channel, conversationId, userId: message.senderId });
        if (admission && !admission.allowed) {
          deps.audit.append({ type: 'message-rate-limited', actor: message.senderId, conversationId, details: { scope: admission.scope, retry_after_ms: admission.retryAfterMs } });
          return { retryAfterMs: admission.retryAfterMs, notify: admission.notify, ...(admission.message ? { message: admission.message } : {}) };
        }
        if (message.platformMessageId && deps.conversations.isDuplicate(conversationId, message.platformMessageId)) return 'duplicate';
        const pending = deps.scanner.assess(message.text);
        if (pending instanceof Promise) return { scanning: pending };
        scan = pending;
        store(scan);
        return undefined;
      }).immediate();
      if (refused !== undefined && typeof refused === 'object' && 'scanning' in refused) {
        scan = await refused.scanning;
        deps.db.transaction(() => store(scan)).immediate();
      }
      if (refused === 'duplicate') {
        // Channel messages are de-duplicated by the channel host; here only its crash recovery
        // arrives, and it must never send a reply twice.
        if (options.preAdmitted && !options.retriedByClient) return options.resumeIfUnanswered ? resumeUnanswered(ctx, message.platformMessageId!) : { ...empty, status: 'duplicate' };
        return answerRetry(ctx, message.platformMessageId!);
      }
      if (refused !== undefined && !('scanning' in refused)) {
        const text = refused.message ?? `You are sending messages too fast. Please wait ${Math.ceil(refused.retryAfterMs / 1000)} s and try again.`;
        // Only the first refusal in a limited stretch is announced: one message, not one per event.
        if (refused.notify) await loop.notify(ctx, text);
        return { ...empty, status: 'rate_limited', reply: { text }, retryAfterMs: refused.retryAfterMs };
      }
      if (scan.flagged) {
        await loop.notify(ctx, 'Note: this message looks like a prompt-injection attempt; tool steps in this conversation are treated one level stricter while it is in the recent history, unless an approver clears the flag.');
      }
      return loop.continueTurn(ctx);
    });
  }

  /**
   * A client sent a message id again (it saw no answer). Runs inside the conversation's queue,
   * so an original turn still running has finished by now. A message stored but never
   * answered (the gateway died first) gets its turn now; an answered one gets its stored reply
   * again, delivered to the channel too, since the first delivery may be what the client missed.
   */
  async function answerRetry(ctx: TurnContext, platformMessageId: string): Promise<TurnOutcome> {
    const duplicate: TurnOutcome = { conversationId: ctx.conversationId, status: 'duplicate', actions: [], pendingApprovals: [] };
    const stored = unanswered.byPlatformId(ctx.conversationId, platformMessageId, now() - UNANSWERED_RECOVERY_WINDOW_MS);
    if (!stored) return duplicate;
    if (stored.unanswered) {
      deps.audit.append({ type: 'turn-recovered', actor: 'gateway', conversationId: ctx.conversationId, details: { message_id: stored.messageId, why: 'retried' } });
      return loop.continueTurn(ctx);
    }
    const text = unanswered.replyAfter(ctx.conversationId, stored.messageId);
    if (text === undefined) return duplicate;
    await loop.notify(ctx, text);
    return { ...duplicate, reply: { text } };
  }

  /** Continues the turn of a stored, never answered message (the gateway died first); nothing else. */
  async function resumeUnanswered(ctx: TurnContext, platformMessageId: string): Promise<TurnOutcome> {
    const stored = unanswered.byPlatformId(ctx.conversationId, platformMessageId, now() - UNANSWERED_RECOVERY_WINDOW_MS);
    if (!stored?.unanswered) return { conversationId: ctx.conversationId, status: 'duplicate', actions: [], pendingApprovals: [] };
    deps.audit.append({ type: 'turn-recovered', actor: 'gateway', conversationId: ctx.conversationId, details: { message_id: stored.messageId, why: 'channel message admitted before a restart' } });
    return loop.continueTurn(ctx);
  }

  async function requestAction(request: DirectActionRequest): Promise<DirectActionOutcome> {
    const channel = request.channel ?? 'api';
    const admission = deps.admit?.({ channel, conversationId: request.conversationId, userId: request.requester });
    if (admission && !admission.allowed) {
      deps.audit.append({ type: 'action-rate-limited', actor: request.requester, conversationId: request.conversationId, details: { scope: admission.scope, retry_after_ms: admission.retryAfterMs } });
      return { kind: 'rate_limited', retryAfterMs: admission.retryAfterMs };
    }
    return queue.run(request.conversationId, async () => {
      deps.conversations.ensure(request.conversationId, channel, now());
      return runner.request(request.skill, request.operation, request.arguments, {
        channel,
        conversationId: request.conversationId,
        userId: request.requester,
        turnFlagged: false,
      });
    });
  }

  function resume(conversationId: string): Promise<TurnOutcome | undefined> {
    return queue.run(conversationId, async () => {
      const channel = deps.conversations.channelOf(conversationId) ?? 'api';
      const actions = deps.actions.byConversation(conversationId);
      let progressed = false;
      let requester: string | undefined;
      for (const snapshot of actions) {
        let action = snapshot;
        if (action.status === 'approved' && !deps.approvals.bindingHolds(action) && !(await reconfirm(action, channel))) {
          action = deps.actions.get(action.id)!;
          if (action.status !== 'denied') continue;
        }
        const answered = action.toolCallId ? deps.conversations.hasToolResult(conversationId, action.toolCallId) : false;
        const ctx: TurnContext = { channel, conversationId, userId: action.requester };
        if (action.status === 'approved') {
          const outcome = await runner.execute(action.id);
          if (action.toolCallId && !answered) {
            await loop.recordToolResult(ctx, action.toolCallId, `${action.skill}_${action.operation}`, outcome);
            progressed = true;
            requester = action.requester;
          }
        } else if ((action.status === 'denied' || action.status === 'expired') && action.toolCallId && !answered) {
          const why =
            action.status === 'expired' ? 'the approval request expired before anyone decided' : (deps.actions.transitions(action.id).at(-1)?.note ?? '').startsWith('policy:') ? 'policy denied it' : 'a human denied the approval';
          await loop.recordToolResult(ctx, action.toolCallId, `${action.skill}_${action.operation}`, { kind: 'denied', action, reason: `${why}; the step did not run.` });
          progressed = true;
          requester = action.requester;
        } else if ((action.status === 'succeeded' || action.status === 'failed') && action.toolCallId && !answered) {
          // Finished before a crash but its result was not yet recorded.
          const outcome: ActionOutcome = action.status === 'succeeded' ? { kind: 'succeeded', action, result: action.result } : { kind: 'failed', action, error: action.error ?? 'failed' };
          await loop.recordToolResult(ctx, action.toolCallId, `${action.skill}_${action.operation}`, outcome);
          progressed = true;
          requester = action.requester;
        }
      }
      const stillWaiting = deps.actions.byConversation(conversationId).some((a) => a.status === 'awaiting_approval' && a.toolCallId);
      if (!progressed || stillWaiting || !requester) return undefined;
      return loop.continueTurn({ channel, conversationId, userId: requester });
    });
  }

  /**
   * An approved action no human decision covers (policy allowed it before a crash, or its
   * arguments differ from what was approved): ask policy again. True when it may run now.
   */
  async function reconfirm(action: ActionRequest, channel: string): Promise<boolean> {
    const declared = deps.tools.lookup(action.skill, action.operation)?.manifest.level ?? 'critical';
    const decision = deps.policy.decide({ skill: action.skill, operation: action.operation, declaredLevel: declared, channel, conversationId: action.conversationId, userId: action.requester, turnFlagged: false });
    if (decision.decision === 'allow') return true;
    if (decision.decision === 'deny') {
      deps.actions.transition(action.id, 'approved', 'denied', { note: `policy: ${decision.reason}` }, now());
      deps.audit.append({ type: 'action-denied', actor: 'policy', conversationId: action.conversationId, details: { action_id: action.id, reason: decision.reason } });
      return false;
    }
    deps.actions.transition(action.id, 'approved', 'awaiting_approval', { note: 'no approval covers these arguments' }, now());
    deps.audit.append({ type: 'approval-binding-mismatch', actor: 'gateway', conversationId: action.conversationId, details: { action_id: action.id } });
    await deps.approvals.open(deps.actions.get(action.id)!, decision, { channel });
    return false;
  }

  async function recover(): Promise<void> {
    for (const action of deps.actions.byStatus('running')) await settleInterrupted(action);
    for (const id of deps.actions.conversationsToResume()) {
      await resume(id).catch((err: unknown) => deps.logger.error({ err: describeError(err), conversationId: id }, 'resume at start-up failed'));
    }
    // Messages stored but never answered (the gateway died mid-turn) in the last day are
    // answered now. In the background: start-up does not wait for model calls; a retry of the
    // same message queues behind its turn and gets the answer (drain() waits for these too).
    const since = now() - UNANSWERED_RECOVERY_WINDOW_MS;
    for (const m of unanswered.all(since)) {
      void queue
        .run(m.conversationId, async () => {
          if (!unanswered.isUnanswered(m.conversationId, m.messageId, since)) return;
          deps.audit.append({ type: 'turn-recovered', actor: 'gateway', conversationId: m.conversationId, details: { message_id: m.messageId, why: 'restart' } });
          await loop.continueTurn({ channel: m.channel, conversationId: m.conversationId, userId: m.senderId });
        })
        .catch((err: unknown) => deps.logger.error({ err: describeError(err), conversationId: m.conversationId }, 'answering a message left unanswered by a crash failed'));
    }
  }

  /**
   * An action a crash caught running is never run again. Its programs in the agent were
   * stopped when their gateway went away (their lease ran out) or are stopped now; if they had
   * finished before anyone could record it, the record says so, so that it matches what happened.
   */
  async function settleInterrupted(action: ActionRequest): Promise<void> {
    let calls: InterruptedCalls | undefined;
    try {
      calls = deps.sandbox.settleInterrupted ? await withTimeout(deps.sandbox.settleInterrupted(action.conversationId, action.id), 120_000, 'asking the agent') : undefined;
    } catch (err) {
      deps.logger.warn({ err: describeError(err), actionId: action.id }, 'could not ask the agent what became of an interrupted action');
    }
    if (calls && calls.completed > 0 && calls.cut === 0) {
      const result = {
        recovered_after_restart: true,
        note: 'The gateway restarted while this step ran; its program finished in the agent, but its output was not collected.',
        exit_code: calls.exitCode,
        signal: calls.signal,
        limit: calls.limit,
      };
      deps.actions.transition(action.id, 'running', 'succeeded', { result, note: 'finished in the agent while the gateway was down' }, now());
      deps.audit.append({ type: 'action-recovered', actor: 'gateway', conversationId: action.conversationId, details: { action_id: action.id, exit_code: calls.exitCode } });
      return;
    }
    const stopped = calls && calls.cut > 0 ? '; its program was stopped in the agent' : '';
    deps.actions.transition(action.id, 'running', 'failed', { error: `interrupted by a gateway restart${stopped}; not run again` }, now());
    deps.audit.append({ type: 'action-interrupted', actor: 'gateway', conversationId: action.conversationId, details: { action_id: action.id, stopped_in_agent: calls ? calls.cut : null } });
  }

  return { handleMessage, requestAction, resume, recover, drain: () => queue.drain() };
}
