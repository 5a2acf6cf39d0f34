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
// This file wires the pieces: approval-flows.ts (open, decide), approval-expiry.ts,
// approval-binding.ts, approval-grants.ts, approval-prompts.ts and approval-tracker.ts.
import type { OutboundSink } from '../core/outbound.js';
import type { ApprovalPrompt, ApprovalRequest, ApprovalStatus } from '../core/types.js';
import type { AuditLog } from '../security/audit-log.js';
import type { ActionStore } from '../store/actions.js';
import { ApprovalStore, type ConversationGrant } from '../store/approvals.js';
import type { Db } from '../store/database.js';
import { approvalBindingHolds } from './approval-binding.js';
import { createExpirySweeper } from './approval-expiry.js';
import { decideApproval, openApproval, type ApprovalFlowDeps } from './approval-flows.js';
import { revokeConversationGrant } from './approval-grants.js';
import { createPromptPublisher, createPromptRenderer } from './approval-prompts.js';
import { createDecisionTracker } from './approval-tracker.js';
import type { PolicyConfig } from './policy-engine.js';
import type { ApprovalGate, DecideInput } from './policy-types.js';

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
  const promptFor = createPromptRenderer(options.explainLevel, onError);
  const prompts = createPromptPublisher(outbound, onError, promptFor);
  const tracker = createDecisionTracker(onDecided, onError);
  const expiry = createExpirySweeper({ stores, now, showPrompt: prompts.show, notify: tracker.notify, onError, sweepIntervalMs: options.sweepIntervalMs });
  const flow: ApprovalFlowDeps = { stores, config, now, promptFor, prompts, expiry, notify: tracker.notify };

  return {
    open: (action, decision, context) => openApproval(flow, action, decision, context),
    decide: (input) => decideApproval(flow, input),
    pendingCounts: (conversationId, requester) => store.pendingCounts(conversationId, requester),
    bindingHolds: (action) => approvalBindingHolds(store, action),
    expireDue: expiry.expireDue,
    settled: tracker.settled,
    start: expiry.start,
    async stop() {
      await expiry.stop();
      await tracker.settled();
    },
    list: (filter = {}) => store.list(filter.status),
    get: (id) => store.get(id),
    prompt(id) {
      const approval = store.get(id);
      return approval ? promptFor(approval) : undefined;
    },
    listGrants: (conversationId) => store.grants(conversationId),
    revokeGrant: (id, by = 'api') => revokeConversationGrant({ store, audit }, id, by, now()),
  };
}
