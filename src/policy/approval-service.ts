// The approval service: the only path by which an action becomes approved.
// - open(): persists the request (arguments in canonical form and their SHA-256) BEFORE the
//   prompt is shown anywhere, then remembers which platform message shows it.
// - decide(): checks the decider against policy, then in ONE transaction moves the approval
//   pending → approved|denied and the action awaiting_approval → approved|denied, and appends
//   the audit event. Both moves are compare-and-set, so a second or concurrent press (same
//   channel, another channel, another process) gets APPROVAL_ALREADY_DECIDED and never
//   triggers a second run. Then it updates the prompt in place and calls onDecided (the
//   orchestrator's resume) without waiting for the conversation to continue.
// - bindingHolds(): an approval binds to the hash of the arguments it showed; changed
//   arguments need a new approval.
// - expireDue(): past-expiry requests become expired (= the step does not run).
import { canonicalJson, sha256Hex } from '../core/canonical-json.js';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import type { OutboundSink } from '../core/outbound.js';
import type { ActionRequest, ApprovalPrompt, ApprovalRequest, ApprovalStatus } from '../core/types.js';
import type { AuditLog } from '../security/audit-log.js';
import type { ActionStore } from '../store/actions.js';
import { ApprovalStore, type ConversationGrant } from '../store/approvals.js';
import type { Db } from '../store/database.js';
import { commitDecision, commitExpiry, commitRequest } from './approval-commit.js';
import { buildApprovalPrompt } from './approval-prompt.js';
import { alreadyDecided, requireDecider, vetDecision } from './approval-decide.js';
import type { PolicyConfig } from './policy-engine.js';
import type { ApprovalGate, DecideInput, PolicyDecision } from './policy-types.js';
import { createPromptPublisher } from './approval-prompts.js';
import { createDecisionTracker } from './approval-tracker.js';

export type { DecideInput };

export interface ApprovalService extends ApprovalGate {
  decide(input: DecideInput): Promise<ApprovalRequest>;
  /** Marks every pending request past its expiry as expired; returns the ones it expired. */
  expireDue(): Promise<ApprovalRequest[]>;
  /** Expires what ran out while stopped, then sweeps on a timer. */
  start(): Promise<void>;
  /** Stops the timer and waits for onDecided calls still running. */
  stop(): Promise<void>;
  /** Resolves when every onDecided call started so far has finished. */
  settled(): Promise<void>;
  list(filter?: { status?: ApprovalStatus }): ApprovalRequest[];
  get(id: string): ApprovalRequest | undefined;
  /** The prompt for a stored request, with its outcome once decided. */
  prompt(id: string): ApprovalPrompt | undefined;
  listGrants(conversationId: string): ConversationGrant[];
  revokeGrant(id: string, by?: string): ConversationGrant;
}

export interface ApprovalServiceOptions {
  db: Db;
  /** Must be built on the same Db: decisions move approval and action in one transaction. */
  actions: ActionStore;
  audit: AuditLog;
  outbound: OutboundSink;
  config: PolicyConfig;
  /** Called once per decided or expired request; wire it to orchestrator.resume(conversationId). */
  onDecided: (approval: ApprovalRequest) => unknown;
  now?: () => number;
  /** How often the expiry sweep runs after start(); default 1 s. */
  sweepIntervalMs?: number;
  /** Failures that must not fail the caller (prompt delivery, onDecided); default console.error. */
  onError?: (error: unknown, context: string) => void;
  store?: ApprovalStore;
  /** Why a request's level is above its skill's declared one (shown in the prompt); gateway.ts wires the skills' classify hooks. */
  explainLevel?: (approval: ApprovalRequest) => string | undefined;
}

export function createApprovalService(options: ApprovalServiceOptions): ApprovalService {
  const { actions, audit, outbound, config, onDecided } = options;
  const store = options.store ?? new ApprovalStore(options.db);
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((error, context) => console.error(`approvals: ${context}:`, error));
  const stores = { store, actions, audit };
  // The prompt of a stored request, with why its level is what it is when that can be said.
  const promptFor = (approval: ApprovalRequest): ApprovalPrompt => {
    let levelReason: string | undefined;
    try {
      levelReason = options.explainLevel?.(approval);
    } catch (error) {
      onError(error, `could not explain the level of approval ${approval.id}`);
    }
    return buildApprovalPrompt(approval, levelReason !== undefined ? { levelReason } : {});
  };
  const prompts = createPromptPublisher(outbound, onError, promptFor);
  const tracker = createDecisionTracker(onDecided, onError);
  const deliverPrompt = prompts.deliver;
  const showPrompt = prompts.show;
  const notify = tracker.notify;
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<ApprovalRequest[]> | undefined;

  async function expireOne(approval: ApprovalRequest): Promise<ApprovalRequest | undefined> {
    const at = now();
    const expired = commitExpiry(stores, approval, at);
    if (!expired) return undefined;
    await showPrompt(expired);
    notify(expired);
    return expired;
  }

  function expireDue(): Promise<ApprovalRequest[]> {
    // One sweep at a time: the timer and a direct call share the running one.
    sweeping ??= sweep().finally(() => (sweeping = undefined));
    return sweeping;
  }

  const settled = tracker.settled;

  async function sweep(): Promise<ApprovalRequest[]> {
    const done: ApprovalRequest[] = [];
    for (const approval of store.due(now())) {
      const expired = await expireOne(approval);
      if (expired) done.push(expired);
    }
    return done;
  }

  return {
    async open(action: ActionRequest, decision: Extract<PolicyDecision, { decision: 'require_approval' }>, context: { channel: string }) {
      const createdAt = now();
      const approval = commitRequest(stores, action, decision, context.channel, createdAt, config.approval_ttl_ms);
      // Persisted and audited; only now is anything shown.
      const prompt = promptFor(approval);
      // Not shown is still answerable through the API and CLI; expiry cleans it up otherwise.
      const messageId = await deliverPrompt(approval, prompt, 'could not show the prompt');
      if (messageId !== undefined) store.setMessage(approval.id, context.channel, messageId);
      const stored = store.get(approval.id)!;
      // Decided while the prompt was on its way: update it now that its message id is known.
      if (stored.status !== 'pending' && stored.platformMessageId !== undefined) await showPrompt(stored);
      return { approval: stored, prompt };
    },

    async decide(input: DecideInput): Promise<ApprovalRequest> {
      requireDecider(input);
      const approval = store.get(input.approvalId);
      if (!approval) {
        throw new SecureSphereError(ERROR_CODES.APPROVAL_NOT_FOUND, `No approval request with id ${input.approvalId}: list them with \`securesphere approvals list\`.`);
      }
      if (approval.status !== 'pending') throw alreadyDecided(approval);
      if (approval.expiresAt.getTime() <= now()) {
        await expireOne(approval);
        throw alreadyDecided(store.get(approval.id)!);
      }
      const scope = vetDecision(approval, input, config, audit);

      const status = input.decision === 'approve' ? 'approved' : 'denied';
      const at = now();
      const decided = commitDecision(stores, approval, { approver: input.approver, status, scope, channel: input.channel }, at);
      if (!decided) {
        const current = store.get(approval.id)!;
        // Still pending means it ran out of time between the check and the write.
        if (current.status === 'pending') await expireOne(current);
        throw alreadyDecided(store.get(approval.id)!);
      }
      await showPrompt(decided);
      notify(decided);
      return decided;
    },

    pendingCounts(conversationId: string, requester: string) {
      return store.pendingCounts(conversationId, requester);
    },

    bindingHolds(action: ActionRequest): boolean {
      const hash = sha256Hex(canonicalJson(action.arguments ?? null));
      const approved = store.byAction(action.id).some(
        (a) => a.status === 'approved' && a.argumentsHash === hash && a.skill === action.skill && a.operation === action.operation && a.conversationId === action.conversationId,
      );
      if (approved) return true;
      if (action.securityLevel === 'critical') return false;
      return store.activeGrant(action.conversationId, action.skill, action.operation, action.requester) !== undefined;
    },

    expireDue,
    settled,

    async start() {
      await expireDue();
      if (timer) return;
      timer = setInterval(() => {
        expireDue().catch((error: unknown) => onError(error, 'expiry sweep failed'));
      }, options.sweepIntervalMs ?? 1000);
      timer.unref();
    },

    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await sweeping;
      await settled();
    },

    list(filter = {}) {
      return store.list(filter.status);
    },

    get(id) {
      return store.get(id);
    },

    prompt(id) {
      const approval = store.get(id);
      return approval ? promptFor(approval) : undefined;
    },

    listGrants(conversationId) {
      return store.grants(conversationId);
    },

    revokeGrant(id, by = 'api') {
      const grant = store.getGrant(id);
      if (!grant) throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No conversation grant with id ${id}: list them with GET /api/conversations/<id>/grants.`);
      const at = now();
      return store.transaction(() => {
        if (!store.revokeGrant(id, at)) return store.getGrant(id)!;
        audit.append({ type: 'grant-revoked', actor: by, conversationId: grant.conversationId, details: { grantId: id, skill: grant.skill, operation: grant.operation } });
        return store.getGrant(id)!;
      });
    },
  };
}
