// What the orchestrator asks policy, and what policy answers. The engine itself lives in
// policy-engine.ts; the orchestrator depends only on these types.
import type { ActionRequest, ApprovalPrompt, ApprovalRequest, ApprovalScope, SecurityLevel } from '../core/types.js';

export interface PolicyInput {
  skill: string;
  operation: string;
  /** The level the skill's manifest declares for this operation. */
  declaredLevel: SecurityLevel;
  /** Set when the manifest's classify hook raised declaredLevel for these arguments: why. */
  levelReason?: string;
  channel: string;
  conversationId: string;
  /** The user whose message started this turn. */
  userId: string;
  /** True while flagged text is in what the model sees (this turn or the history window): raises the level by one. */
  turnFlagged: boolean;
}

export type PolicyDecision =
  | { decision: 'allow'; level: SecurityLevel; reason: string; notify: boolean }
  | { decision: 'require_approval'; level: SecurityLevel; reason: string; approvers: string[] }
  | { decision: 'deny'; level: SecurityLevel; reason: string };

export interface PolicyEngine {
  decide(input: PolicyInput): PolicyDecision;
}

/**
 * Opens approval requests for actions the policy sent to a human. The implementation
 * persists the request before anything is shown, then asks the channel to render it.
 */
export interface ApprovalGate {
  open(
    action: ActionRequest,
    decision: Extract<PolicyDecision, { decision: 'require_approval' }>,
    context: { channel: string },
  ): Promise<{ approval: ApprovalRequest; prompt: ApprovalPrompt }>;

  /**
   * True only if this action may run now on the strength of a human decision: an approved
   * approval exists for it whose argument hash equals the hash of the action's current
   * canonical arguments. The orchestrator checks this right before running an approved action.
   */
  bindingHolds(action: ActionRequest): boolean;

  /** Pending requests in a conversation and pending requests asked by one identity (the caps' inputs). */
  pendingCounts(conversationId: string, requester: string): { conversation: number; identity: number };
}

/** One human decision on an approval request, as the approval service takes it. */
export interface DecideInput {
  approvalId: string;
  /** The decider's identity (`<channel>:<id>`): from the platform's sender field or the API token, never from text. */
  approver: string;
  decision: 'approve' | 'deny';
  /** 'conversation' stores a grant for this skill operation (never allowed for critical). */
  scope?: ApprovalScope;
  /** Where the decision came from (a channel name, "api", "cli"); recorded in the audit. */
  channel?: string;
}
