// POST /api/conversations/:id/clear-flag: an approver who has checked the flagged text clears
// the conversation's injection flag (see src/policy/flag-clearing.ts). The one who clears is the
// bearer token's identity (an `approver` in the body naming anyone else is 403), checked
// against policy (403 otherwise).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { FlagClearing } from '../../policy/flag-clearing.js';
import { parseOr400 } from '../http-errors.js';
import { deciderFor } from '../principal.js';

const params = z.object({ id: z.string().min(1).max(200) });
const body = z.strictObject({ approver: z.string().trim().min(1).max(200).optional() });

export function conversationFlagRoutes(flags: FlagClearing) {
  return (app: FastifyInstance): void => {
    app.post('/api/conversations/:id/clear-flag', async (request) => {
      const { id } = parseOr400(params, request.params, 'path');
      const { approver } = parseOr400(body, request.body ?? {}, 'body');
      const done = flags.clear({ conversationId: id, by: deciderFor(request, approver), channel: 'api' });
      return { conversation_id: done.conversationId, cleared: done.cleared, cleared_by: done.clearedBy };
    });
  };
}
