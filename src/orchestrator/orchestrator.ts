// The orchestrator: the one place a message becomes a turn. It keeps one turn at a time per
// conversation, stores every step, and continues a suspended turn once its approvals are
// decided. Channels, the API and the approval service only call the four methods below.
import { describeError } from '../core/errors.js';
import type { ActionRequest, InboundMessage } from '../core/types.js';
import { createActionRunner, type ActionOutcome } from './action-runner.js';
import { ConversationQueue } from './conversation-queue.js';
import type { OrchestratorDeps } from './deps.js';
import { createTurnLoop, type TurnContext } from './turn-loop.js';
import type { TurnOutcome } from './turn-outcome.js';

export interface DirectActionRequest {
  conversationId: string;
  skill: string;
  operation: string;
  arguments: unknown;
  requester: string;
  channel?: string;
}

export interface Orchestrator {
  handleMessage(message: InboundMessage): Promise<TurnOutcome>;
  requestAction(request: DirectActionRequest): Promise<ActionOutcome>;
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

  async function handleMessage(message: InboundMessage): Promise<TurnOutcome> {
    const conversationId = message.conversationId;
    const empty: TurnOutcome = { conversationId, status: 'completed', actions: [], pendingApprovals: [] };
    const ctx: TurnContext = { channel: message.channel, conversationId, userId: message.senderId };
    return queue.run(conversationId, async () => {
      let scan: ReturnType<typeof deps.scanner.scan> = { score: 0, flagged: false, reasons: [] };
      // Admission, de-duplication, the stored message and its audit events: one transaction. The
      // detector runs only for admitted, new messages: a flood of refused ones costs no scans.
      const refused = deps.db.transaction((): { retryAfterMs: number; notify: boolean; message?: string } | 'duplicate' | undefined => {
        const admission = deps.admit?.({ channel: message.channel, conversationId, userId: message.senderId });
        if (admission && !admission.allowed) {
          deps.audit.append({ type: 'message-rate-limited', actor: message.senderId, conversationId, details: { scope: admission.scope, retry_after_ms: admission.retryAfterMs } });
          return { retryAfterMs: admission.retryAfterMs, notify: admission.notify, ...(admission.message ? { message: admission.message } : {}) };
        }
        if (message.platformMessageId && deps.conversations.isDuplicate(conversationId, message.platformMessageId)) return 'duplicate';
        scan = deps.scanner.scan(message.text);
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
        return undefined;
      }).immediate();
      if (refused === 'duplicate') return { ...empty, status: 'duplicate' };
      if (refused) {
        const text = refused.message ?? `You are sending messages too fast. Please wait ${Math.ceil(refused.retryAfterMs / 1000)} s and try again.`;
        // Only the first refusal in a limited stretch is announced: one message, not one per event.
        if (refused.notify) await loop.notify(ctx, text);
        return { ...empty, status: 'rate_limited', reply: { text }, retryAfterMs: refused.retryAfterMs };
      }
      if (scan.flagged) {
        await loop.notify(ctx, 'Note: this message looks like a prompt-injection attempt; any tool step it leads to needs approval.');
      }
      return loop.continueTurn(ctx);
    });
  }

  async function requestAction(request: DirectActionRequest): Promise<ActionOutcome> {
    const channel = request.channel ?? 'api';
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
    for (const action of deps.actions.byStatus('running')) {
      // We cannot know whether it finished; running it again could run it twice.
      deps.actions.transition(action.id, 'running', 'failed', { error: 'interrupted by a gateway restart; not run again' }, now());
      deps.audit.append({ type: 'action-interrupted', actor: 'gateway', conversationId: action.conversationId, details: { action_id: action.id } });
    }
    for (const id of deps.actions.conversationsToResume()) {
      await resume(id).catch((err: unknown) => deps.logger.error({ err: describeError(err), conversationId: id }, 'resume at start-up failed'));
    }
  }

  return { handleMessage, requestAction, resume, recover, drain: () => queue.drain() };
}
