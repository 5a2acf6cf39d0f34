// Agent routes: list and show agents with their lifecycle state, stop one (gracefully, or by
// force with ?force=true), and describe the sandbox (runtime, why others were rejected, image,
// limits, warm pool). Authentication is applied globally by the app.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { serializeAgent, serializeSandboxInfo } from '../../agents/agent-views.js';
import type { AgentSubsystem } from '../../agents/create-agent-manager.js';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import { parseOr400 } from '../http-errors.js';

const idParams = z.object({ id: z.string().min(1).max(200) });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() });
const stopQuery = z.object({ force: z.enum(['true', 'false', '1', '0']).optional() });

/** Registers GET /api/agents, GET /api/agents/:id, DELETE /api/agents/:id, GET /api/sandbox. */
export function agentRoutes(agents: () => Promise<AgentSubsystem>) {
  return (app: FastifyInstance): void => {
    app.get('/api/agents', async (request) => {
      const { limit } = parseOr400(listQuery, request.query ?? {}, 'query');
      const { manager } = await agents();
      return { agents: manager.list(limit ?? 200).map(serializeAgent) };
    });

    app.get('/api/agents/:id', async (request) => {
      const { id } = parseOr400(idParams, request.params, 'path');
      const agent = (await agents()).manager.get(id);
      if (!agent) throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No agent with id ${id}.`);
      return { agent: serializeAgent(agent) };
    });

    app.delete('/api/agents/:id', async (request) => {
      const { id } = parseOr400(idParams, request.params, 'path');
      const { force } = parseOr400(stopQuery, request.query ?? {}, 'query');
      const { manager } = await agents();
      if (!manager.get(id)) throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No agent with id ${id}.`);
      const stopped = await manager.stop(id, force === 'true' || force === '1');
      return { agent: serializeAgent(stopped!) };
    });

    app.get('/api/sandbox', async () => serializeSandboxInfo((await agents()).info()));
  };
}
