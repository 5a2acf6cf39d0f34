// The checks a decision passes before anything is written: a decider is named, the request
// exists and is still pending, the decider may decide it (a refusal is audited), and "allow for
// this conversation" is never used for a critical step. Throws typed errors; writes nothing
// but the refusal's audit event. The compare-and-set commit itself is approval-commit.ts.
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import type { ApprovalRequest, ApprovalScope } from '../core/types.js';
import type { AuditLog } from '../security/audit-log.js';
import { checkDecider } from './approver-check.js';
import type { PolicyConfig } from './policy-engine.js';
import type { DecideInput } from './policy-types.js';

export function alreadyDecided(approval: ApprovalRequest): SecureSphereError {
  const by = approval.decidedBy ? ` by ${approval.decidedBy}` : '';
  return new SecureSphereError(
    ERROR_CODES.APPROVAL_ALREADY_DECIDED,
    `Approval ${approval.id} is already ${approval.status}${by}; nothing changed. A new request is needed to run the step.`,
    { details: { approvalId: approval.id, status: approval.status } },
  );
}

/** Checks the decider and the input; throws what to tell them, or returns the scope. */
export function vetDecision(approval: ApprovalRequest, input: DecideInput, config: PolicyConfig, audit: AuditLog): ApprovalScope {
  const scope: ApprovalScope = input.decision === 'approve' ? (input.scope ?? 'once') : 'once';
  const refusal = checkDecider(approval, input.approver, input.decision, config);
  if (refusal) {
    audit.append({
      type: 'approval-refused',
      actor: input.approver,
      conversationId: approval.conversationId,
      details: { approvalId: approval.id, actionId: approval.actionId, decision: input.decision, level: approval.securityLevel, channel: input.channel ?? null, reason: refusal },
    });
    throw new SecureSphereError(ERROR_CODES.APPROVAL_NOT_ALLOWED, refusal, { details: { approvalId: approval.id } });
  }
  if (scope === 'conversation' && approval.securityLevel === 'critical') {
    throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `Approval ${approval.id} is for a critical step, which can only be approved once, never for the whole conversation.`);
  }
  return scope;
}

/** A decider must be named: the platform's sender, the API token's identity, or --as offline. */
export function requireDecider(input: DecideInput): void {
  if (typeof input.approver !== 'string' || input.approver.trim() === '' || input.approver.length > 512) {
    throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, 'Say who decides: approver must be a non-empty identity (at most 512 characters).');
  }
}
