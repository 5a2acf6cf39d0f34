// GET /api/conversations/:id/messages: the stored history of one conversation.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import type { ConversationStore } from '../../store/conversations.js';
import { parseOr400 } from '../http-errors.js';

const query = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export function conversationRoutes(conversations: ConversationStore) {
  return (app: FastifyInstance): void => {
    app.get('/api/conversations/:id/messages', async (request) => {
      const { id } = parseOr400(z.object({ id: z.string().min(1).max(200) }), request.params, 'path');
      const { after, limit } = parseOr400(query, request.query, 'query');
      if (!conversations.exists(id)) throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No conversation with id ${id}.`);
      return {
        conversation_id: id,
        messages: conversations.list(id, after, limit).map((m) => ({
          id: m.id,
          role: m.message.role,
          content: m.message.content,
          ...(m.message.role === 'assistant' && m.message.toolCalls ? { tool_calls: m.message.toolCalls } : {}),
          ...(m.message.role === 'tool' ? { tool_call_id: m.message.toolCallId, tool_name: m.message.toolName } : {}),
          ...(m.message.role === 'user' && m.message.senderId ? { sender_id: m.message.senderId } : {}),
          ...(m.answeredBy ? { profile: m.answeredBy.profile, model: m.answeredBy.model } : {}),
          created_at: new Date(m.createdAt).toISOString(),
        })),
      };
    });
  };
}
