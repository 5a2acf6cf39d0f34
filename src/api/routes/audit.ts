// GET /api/audit?after=SEQ&limit=N: pages through the audit chain, oldest first. Details are
// already secret-redacted when written. Authentication is global (api/auth.ts).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditEvent } from '../../security/audit-log.js';
import { MAX_AUDIT_PAGE, type AuditListOptions } from '../../security/audit-read.js';
import { parseOr400 } from '../http-errors.js';

const query = z.strictObject({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).default(100),
});

export interface AuditReader {
  list(options: AuditListOptions): AuditEvent[];
}

export function auditRoutes(audit: AuditReader) {
  return (app: FastifyInstance): void => {
    app.get('/api/audit', async (request) => {
      const { after, limit } = parseOr400(query, request.query, 'query');
      const events = audit.list({ after, limit });
      const last = events.at(-1);
      return {
        events: events.map((e) => ({
          seq: e.seq,
          time: e.time,
          actor: e.actor,
          conversation_id: e.conversationId ?? null,
          type: e.type,
          details: e.details ?? {},
          prev_hash: e.prevHash,
          hash: e.hash,
        })),
        // Pass as ?after= to get the next page; null when this page was the last.
        next_after: last && events.length === limit ? last.seq : null,
      };
    });
  };
}
