// Approval routes: list and show requests, approve or deny one, list and revoke "allow for
// this conversation" grants. The app has already checked the admin bearer token; the body's
// `approver` is then checked against policy by the approval service (403 when that person may
// not decide, 409 when already decided, 404 when unknown). Nothing else in a request, no
// header and no other field, can mark an action approved.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import type { ApprovalRequest } from '../../core/types.js';
import { approvalSummary } from '../../policy/approval-prompt.js';
import type { ApprovalService } from '../../policy/approval-service.js';
import type { ConversationGrant } from '../../store/approvals.js';
import { parseOr400 } from '../http-errors.js';

const userId = z.string().trim().min(1).max(200);
const idParams = z.object({ id: z.string().min(1).max(200) });
const listQuery = z.object({ status: z.enum(['pending', 'approved', 'denied', 'expired']).optional() });
const approveBody = z.strictObject({ approver: userId, scope: z.enum(['once', 'conversation']).optional() });
// A deny is always for this one request; "once" is accepted so clients can send one shape.
const denyBody = z.strictObject({ approver: userId, scope: z.literal('once').optional() });

export function approvalRoutes(approvals: ApprovalService) {
  return (app: FastifyInstance): void => {
    app.get('/api/approvals', async (request) => {
      const { status } = parseOr400(listQuery, request.query ?? {}, 'query');
      return { approvals: approvals.list(status ? { status } : {}).map(serializeApproval) };
    });

    app.get('/api/approvals/:id', async (request) => {
      const { id } = parseOr400(idParams, request.params, 'path');
      const approval = approvals.get(id);
      if (!approval) throw new SecureSphereError(ERROR_CODES.APPROVAL_NOT_FOUND, `No approval request with id ${id}.`);
      return { approval: serializeApproval(approval), prompt: approvals.prompt(id) };
    });

    app.post('/api/approvals/:id/approve', async (request) => {
      const { id } = parseOr400(idParams, request.params, 'path');
      const body = parseOr400(approveBody, request.body ?? {}, 'body');
      const decided = await approvals.decide({ approvalId: id, approver: body.approver, decision: 'approve', scope: body.scope ?? 'once', channel: 'api' });
      return { approval: serializeApproval(decided) };
    });

    app.post('/api/approvals/:id/deny', async (request) => {
      const { id } = parseOr400(idParams, request.params, 'path');
      const body = parseOr400(denyBody, request.body ?? {}, 'body');
      const decided = await approvals.decide({ approvalId: id, approver: body.approver, decision: 'deny', channel: 'api' });
      return { approval: serializeApproval(decided) };
    });

    app.get('/api/conversations/:id/grants', async (request) => {
      const { id } = parseOr400(idParams, request.params, 'path');
      return { conversation_id: id, grants: approvals.listGrants(id).map(serializeGrant) };
    });

    app.delete('/api/grants/:id', async (request) => {
      const { id } = parseOr400(idParams, request.params, 'path');
      return { grant: serializeGrant(approvals.revokeGrant(id, 'api')) };
    });
  };
}

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
    created_at: grant.createdAt.toISOString(),
    revoked_at: grant.revokedAt?.toISOString() ?? null,
  };
}
