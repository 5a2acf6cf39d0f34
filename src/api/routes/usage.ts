// GET /api/usage?conversation_id=&user=&since=: tokens used per provider profile, filtered by
// conversation, user and a start time (ISO 8601 or epoch milliseconds).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { UsageStore } from '../../store/usage.js';
import { parseOr400 } from '../http-errors.js';
import { parseSince } from '../../store/usage-since.js';

const query = z.strictObject({
  conversation_id: z.string().min(1).max(200).optional(),
  user: z.string().min(1).max(200).optional(),
  since: z
    .string()
    .optional()
    .refine((v) => v === undefined || parseSince(v) !== undefined, 'an ISO 8601 time or epoch milliseconds'),
});

export function usageRoutes(usage: UsageStore) {
  return (app: FastifyInstance): void => {
    app.get('/api/usage', async (request) => {
      const q = parseOr400(query, request.query, 'query');
      const since = q.since === undefined ? undefined : parseSince(q.since);
      return usage.summary({
        ...(q.conversation_id ? { conversationId: q.conversation_id } : {}),
        ...(q.user ? { userId: q.user } : {}),
        ...(since !== undefined ? { since } : {}),
      });
    });
  };
}
