// The JSON shapes of approval requests and conversation grants, shared by the HTTP API and the
// CLI (which prints what the API returns, or the same shape when it works offline). Pure
// functions of stored records; never include anything the record does not hold.
import type { ApprovalRequest } from '../core/types.js';
import type { ConversationGrant } from '../store/approvals.js';
import { approvalSummary } from './approval-prompt.js';

export function serializeApproval(approval: ApprovalRequest) {
  let args: unknown = approval.canonicalArguments;
  try {
    args = JSON.parse(approval.canonicalArguments);
  } catch {
    // Stored canonical JSON always parses; keep the raw text if it ever does not.
  }
  return {
    id: approval.id,
    action_id: approval.actionId,
    conversation_id: approval.conversationId,
    skill: approval.skill,
    operation: approval.operation,
    summary: approvalSummary(approval),
    arguments: args,
    arguments_hash: approval.argumentsHash,
    security_level: approval.securityLevel,
    requester: approval.requester,
    approvers: approval.approvers,
    status: approval.status,
    decided_by: approval.decidedBy ?? null,
    decided_at: approval.decidedAt?.toISOString() ?? null,
    scope: approval.scope ?? null,
    created_at: approval.createdAt.toISOString(),
    expires_at: approval.expiresAt.toISOString(),
    channel: approval.channel ?? null,
  };
}

export function serializeGrant(grant: ConversationGrant) {
  return {
    id: grant.id,
    conversation_id: grant.conversationId,
    skill: grant.skill,
    operation: grant.operation,
    granted_by: grant.grantedBy,
    granted_for: grant.grantedFor ?? null,
    created_at: grant.createdAt.toISOString(),
    revoked_at: grant.revokedAt?.toISOString() ?? null,
  };
}
