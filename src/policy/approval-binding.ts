// Whether an action may run on an earlier decision: an approval binds to the hash of the
// arguments it showed (changed arguments need a new approval), or an active "allow for this
// conversation" grant covers it — never for a critical step. Reads only; decides nothing new.
import { canonicalJson, sha256Hex } from '../core/canonical-json.js';
import type { ActionRequest } from '../core/types.js';
import type { ApprovalStore } from '../store/approvals.js';

export function approvalBindingHolds(store: ApprovalStore, action: ActionRequest): boolean {
  const hash = sha256Hex(canonicalJson(action.arguments ?? null));
  const approved = store.byAction(action.id).some(
    (a) => a.status === 'approved' && a.argumentsHash === hash && a.skill === action.skill && a.operation === action.operation && a.conversationId === action.conversationId,
  );
  if (approved) return true;
  if (action.securityLevel === 'critical') return false;
  return store.activeGrant(action.conversationId, action.skill, action.operation, action.requester) !== undefined;
}
