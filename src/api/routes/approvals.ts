// Approval routes: list and show requests, approve or deny one, list and revoke "allow for
// this conversation" grants. The decider is the identity of the bearer token that authenticated
// the request (`api:operator`, `api:<name>`), never a name in the body; policy then checks that
// identity (403 when it may not decide, 409 when already decided, 404 when unknown). Nothing
// else in a request, no header and no other field, can mark an action approved.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import type { ApprovalService } from '../../policy/approval-service.js';
import { serializeApproval, serializeGrant } from '../../policy/approval-views.js';
import { parseOr400 } from '../http-errors.js';
import { deciderFor, principalOf } from '../principal.js';

const userId = z.string().trim().min(1).max(200);
const idParams = z.object({ id: z.string().min(1).max(200) });
const listQuery = z.object({ status: z.enum(['pending', 'approved', 'denied', 'expired']).optional() });
// `approver` is accepted only when it names the token's own identity (older clients send it).
const approveBody = z.strictObject({ approver: userId.optional(), scope: z.enum(['once', 'conversation']).optional() });
// A deny is always for this one request; "once" is accepted so clients can send one shape.
const denyBody = z.strictObject({ approver: userId.optional(), scope: z.literal('once').optional() });


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
      const decided = await approvals.decide({ approvalId: id, approver: deciderFor(request, body.approver), decision: 'approve', scope: body.scope ?? 'once', channel: 'api' });
      return { approval: serializeApproval(decided) };
    });

    app.post('/api/approvals/:id/deny', async (request) => {
      const { id } = parseOr400(idParams, request.params, 'path');
      const body = parseOr400(denyBody, request.body ?? {}, 'body');
      const decided = await approvals.decide({ approvalId: id, approver: deciderFor(request, body.approver), decision: 'deny', channel: 'api' });
      return { approval: serializeApproval(decided) };
    });

    app.get('/api/conversations/:id/grants', async (request) => {
      const { id } = parseOr400(idParams, request.params, 'path');
      return { conversation_id: id, grants: approvals.listGrants(id).map(serializeGrant) };
    });

    app.delete('/api/grants/:id', async (request) => {
      const { id } = parseOr400(idParams, request.params, 'path');
      return { grant: serializeGrant(approvals.revokeGrant(id, principalOf(request).identity)) };
    });
  };
}


