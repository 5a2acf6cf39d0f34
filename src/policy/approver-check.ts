// Who may decide an approval request. The request stores the approvers computed when it was
// opened; the current config must still agree, so removing someone from policy.approvers or
// policy.admins takes their power away at once, even for requests already open.
//   high:     the requester, a configured approver or an admin;
//   critical: approve only by a configured admin.
// The requester may always deny (cancel) their own request: refusing never runs anything.
// Identities are `<channel>:<id>`; `policy.identities` links one person's accounts, so any of
// them counts as that person (an admin approves from whichever app they have open).
import type { ApprovalRequest } from '../core/types.js';
import type { PolicyConfig } from './policy-engine.js';

/** Returns undefined when `decider` may decide, otherwise a human reason for the refusal. */
export function checkDecider(
  approval: ApprovalRequest,
  decider: string,
  decision: 'approve' | 'deny',
  config: Pick<PolicyConfig, 'approvers' | 'admins'> & { identities?: PolicyConfig['identities'] },
): string | undefined {
  const me = linkedIdentities(decider, config.identities);
  const named = (list: readonly string[]) => list.some((id) => me.has(id));
  if (decision === 'deny' && me.has(approval.requester)) return undefined;
  const listed = named(approval.approvers);
  const isAdmin = named(config.admins);
  if (approval.securityLevel === 'critical') {
    if (listed && isAdmin) return undefined;
    return `${decider} may not decide approval ${approval.id}: it is for a critical step, which only an admin (policy.admins) may decide.`;
  }
  const stillEligible = me.has(approval.requester) || isAdmin || named(config.approvers);
  if (listed && stillEligible) return undefined;
  return `${decider} may not decide approval ${approval.id}: only the requester (${approval.requester}) or a configured approver may.`;
}

/** The identity and every account `policy.identities` links to it. */
export function linkedIdentities(identity: string, identities: Readonly<Record<string, readonly string[]>> = {}): Set<string> {
  const out = new Set([identity]);
  for (const accounts of Object.values(identities)) {
    if (accounts.includes(identity)) for (const account of accounts) out.add(account);
  }
  return out;
}
