// Revoking an "allow for this conversation" grant: compare-and-set in one transaction with its
// audit event, so a second revoke changes nothing and is not audited twice.
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import type { AuditLog } from '../security/audit-log.js';
import type { ApprovalStore, ConversationGrant } from '../store/approvals.js';

export function revokeConversationGrant(deps: { store: ApprovalStore; audit: AuditLog }, id: string, by: string, at: number): ConversationGrant {
  const { store, audit } = deps;
  const grant = store.getGrant(id);
  if (!grant) throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No conversation grant with id ${id}: list them with GET /api/conversations/<id>/grants.`);
  return store.transaction(() => {
    if (!store.revokeGrant(id, at)) return store.getGrant(id)!;
    audit.append({ type: 'grant-revoked', actor: by, conversationId: grant.conversationId, details: { grantId: id, skill: grant.skill, operation: grant.operation } });
    return store.getGrant(id)!;
  });
}
