// GET /api/health: whether the provider answers, which sandbox backend runs, and the store.
import type { FastifyInstance } from 'fastify';
import type { ProfileHealth } from '../../providers/provider-manager.js';

export interface HealthReport {
  ok: boolean;
  /** Each profile with its last error and until when it is skipped (rate limited). */
  provider: { ok: boolean; detail: string; profiles?: ProfileHealth[] };
  sandbox: { ok: boolean; backend: string; runtime: string | null; detail: string };
  store: { ok: boolean; detail: string };
  [extra: string]: unknown;
}

export function healthRoutes(check: () => Promise<HealthReport>) {
  return (app: FastifyInstance): void => {
    app.get('/api/health', async (_request, reply) => {
      const report = await check();
      return reply.code(report.ok ? 200 : 503).send(report);
    });
  };
}
