// Who may decide an approval request. The request stores the approvers computed when it was
// opened; the current config must still agree, so removing someone from policy.approvers or
// policy.admins takes their power away at once, even for requests already open.
//   high:     the requester, a configured approver or an admin;
//   critical: approve only by a configured admin.
// The requester may always deny (cancel) their own request: refusing never runs anything.
import type { ApprovalRequest } from '../core/types.js';
import type { PolicyConfig } from './policy-engine.js';

/** Returns undefined when `decider` may decide, otherwise a human reason for the refusal. */
export function checkDecider(
  approval: ApprovalRequest,
  decider: string,
  decision: 'approve' | 'deny',
  config: Pick<PolicyConfig, 'approvers' | 'admins'>,
): string | undefined {
  if (decision === 'deny' && decider === approval.requester) return undefined;
  const listed = approval.approvers.includes(decider);
  const isAdmin = config.admins.includes(decider);
  if (approval.securityLevel === 'critical') {
    if (listed && isAdmin) return undefined;
    return `${decider} may not decide approval ${approval.id}: it is for a critical step, which only an admin (policy.admins) may decide.`;
  }
  const stillEligible = decider === approval.requester || isAdmin || config.approvers.includes(decider);
  if (listed && stillEligible) return undefined;
  return `${decider} may not decide approval ${approval.id}: only the requester (${approval.requester}) or a configured approver may.`;
}
