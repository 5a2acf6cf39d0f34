// POST /api/actions: a direct skill execution request through the same validation and
// policy as a model's tool call. GET /api/actions/:id: its stored state and transitions.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import type { Orchestrator } from '../../orchestrator/orchestrator.js';
import type { ActionStore } from '../../store/actions.js';
import { parseOr400, sendError } from '../http-errors.js';
import { actingIdentity, principalOf } from '../principal.js';

const body = z.strictObject({
  action_type: z.literal('skill_execution'),
  conversation_id: z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
  skill: z.string().min(1).max(64),
  operation: z.string().min(1).max(64),
  arguments: z.unknown().optional(),
  requester: z.string().min(1).max(200).optional(),
});

export function actionRoutes(orchestrator: Orchestrator, actions: ActionStore) {
  return (app: FastifyInstance): void => {
    app.post('/api/actions', async (request, reply) => {
      const input = parseOr400(body, request.body, 'body');
      const outcome = await orchestrator.requestAction({
        conversationId: input.conversation_id,
        skill: input.skill,
        operation: input.operation,
        arguments: input.arguments ?? {},
        requester: actingIdentity(principalOf(request), input.requester),
      });
      switch (outcome.kind) {
        case 'rate_limited':
          reply.header('retry-after', String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000))));
          return sendError(reply, 429, ERROR_CODES.RATE_LIMITED, `Too many requests: wait ${Math.ceil(outcome.retryAfterMs / 1000)} s and try again.`);
        case 'rejected':
          // A cap on waiting approvals is a "later", not a bad request.
          return reply.code(outcome.capped ? 429 : 400).send({ status: 'rejected', error: outcome.message });
        case 'denied':
          return reply.code(403).send({ id: outcome.action.id, status: 'denied', error: outcome.reason });
        case 'awaiting_approval':
          return reply.code(202).send({ id: outcome.action.id, status: 'awaiting_approval', approval_id: outcome.approvalId });
        case 'succeeded':
          return { id: outcome.action.id, status: 'succeeded', result: outcome.result };
        case 'failed':
          return reply.code(200).send({ id: outcome.action.id, status: 'failed', error: outcome.error });
      }
    });

    app.get('/api/actions/:id', async (request) => {
      const { id } = parseOr400(z.object({ id: z.string().min(1).max(100) }), request.params, 'path');
      const action = actions.get(id);
      if (!action) throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No action with id ${id}.`);
      return {
        id: action.id,
        conversation_id: action.conversationId,
        kind: action.kind,
        skill: action.skill,
        operation: action.operation,
        arguments: action.arguments,
        security_level: action.securityLevel,
        status: action.status,
        requester: action.requester,
        ...(action.result !== undefined ? { result: action.result } : {}),
        ...(action.error !== undefined ? { error: action.error } : {}),
        created_at: action.createdAt.toISOString(),
        updated_at: action.updatedAt.toISOString(),
        transitions: actions.transitions(id).map((t) => ({ from: t.fromStatus, to: t.toStatus, at: new Date(t.at).toISOString(), note: t.note })),
      };
    });
  };
}
