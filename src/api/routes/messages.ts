// POST /api/messages: runs one turn and answers with its outcome. The sender is the token's
// identity, or the named `api:` user for a token allowed to act for others; an approval
// command in the text is always decided as the token's own identity. A client that did not get
// an answer may send the same client_message_id again: it gets the stored reply (or, if the
// gateway died before answering, the turn runs now), never a second turn.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { newId } from '../../core/ids.js';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import type { InboundHandler } from '../../inbound.js';
import { parseApprovalCommand } from '../../policy/approval-text.js';
import { parseOr400, sendError } from '../http-errors.js';
import { actingIdentity, principalOf } from '../principal.js';

const body = z.strictObject({
  conversation_id: z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces').optional(),
  user: z.string().min(1).max(200).optional(),
  text: z.string().min(1).max(100_000),
  client_message_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" or "-", at most 64').optional(),
});

export function messageRoutes(handle: InboundHandler, channelOf: (conversationId: string) => string | undefined) {
  return (app: FastifyInstance): void => {
    app.post('/api/messages', async (request, reply) => {
      const input = parseOr400(body, request.body, 'body');
      const conversationId = input.conversation_id ?? newId('conv');
      const principal = principalOf(request);
      const sender = actingIdentity(principal, input.user);
      if (sender !== principal.identity && parseApprovalCommand(input.text)) {
        throw new SecureSphereError(ERROR_CODES.FORBIDDEN, `Approval commands are decided as the token's own identity (${principal.identity}); send them without "user".`);
      }
      const owner = channelOf(conversationId);
      if (owner !== undefined && owner !== 'api') {
        throw new SecureSphereError(ERROR_CODES.FORBIDDEN, `Conversation ${conversationId} belongs to the ${owner} channel; its users write there, not through the API.`);
      }
      const outcome = await handle({
        channel: 'api',
        conversationId,
        senderId: sender,
        senderName: sender,
        text: input.text,
        time: new Date(),
        ...(input.client_message_id ? { platformMessageId: input.client_message_id } : {}),
      });
      if (outcome.status === 'rate_limited') {
        if (outcome.retryAfterMs !== undefined) reply.header('retry-after', String(Math.ceil(outcome.retryAfterMs / 1000)));
        return sendError(reply, 429, ERROR_CODES.RATE_LIMITED, outcome.reply?.text ?? 'Rate limited.');
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
