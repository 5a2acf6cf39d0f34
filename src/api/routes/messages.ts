// POST /api/messages: runs one turn and answers with its outcome. A client that did not get an
// answer may send the same client_message_id again: it gets the stored reply (or, if the
// gateway died before answering, the turn runs now), never a second turn.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { newId } from '../../core/ids.js';
import type { InboundHandler } from '../../inbound.js';
import { parseOr400 } from '../http-errors.js';

const body = z.strictObject({
  conversation_id: z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces').optional(),
  user: z.string().min(1).max(200).optional(),
  text: z.string().min(1).max(100_000),
  client_message_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" or "-", at most 64').optional(),
});

export function messageRoutes(handle: InboundHandler) {
  return (app: FastifyInstance): void => {
    app.post('/api/messages', async (request, reply) => {
      const input = parseOr400(body, request.body, 'body');
      const conversationId = input.conversation_id ?? newId('conv');
      const outcome = await handle({
        channel: 'api',
        conversationId,
        senderId: input.user ?? 'api',
        senderName: input.user ?? 'api',
        text: input.text,
        time: new Date(),
        ...(input.client_message_id ? { platformMessageId: input.client_message_id } : {}),
      });
      if (outcome.status === 'rate_limited') {
        if (outcome.retryAfterMs !== undefined) reply.header('retry-after', String(Math.ceil(outcome.retryAfterMs / 1000)));
        return reply.code(429).send({ error: { code: 'SS_ERR_RATE_LIMITED', message: outcome.reply?.text ?? 'Rate limited.' } });
      }
      return {
        conversation_id: outcome.conversationId,
        status: outcome.status === 'duplicate' ? 'completed' : outcome.status,
        ...(outcome.reply ? { reply: outcome.reply } : {}),
        actions: outcome.actions.map((a) => ({ id: a.id, skill: a.skill, operation: a.operation, status: a.status, security_level: a.security_level })),
        pending_approvals: outcome.pendingApprovals,
      };
    });
  };
}
