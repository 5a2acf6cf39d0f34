// GET /api/health: whether the provider answers, which sandbox backend runs, and the store.
import type { FastifyInstance } from 'fastify';

export interface HealthReport {
  ok: boolean;
  provider: { ok: boolean; detail: string };
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
