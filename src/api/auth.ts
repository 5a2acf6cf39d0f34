// Bearer-token authentication for every /api route. Tokens are compared in constant time
// (over their SHA-256, so lengths do not leak), and failed attempts are rate limited per
// client address.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../core/errors.js';
import { sendError } from './http-errors.js';

export interface AuthFailureLimiter {
  /** Milliseconds the address must wait, or 0 when it may try. */
  blockedFor(address: string): number;
  recordFailure(address: string): void;
}

export function installBearerAuth(app: FastifyInstance, token: string, limiter?: AuthFailureLimiter): void {
  const expected = digest(token);
  app.addHook('onRequest', async (request, reply) => {
    // Decide on the route that will run too, not only the raw URL: the router decodes
    // "/%61pi/messages" to "/api/messages", which the raw URL check alone would let through.
    if (!request.url.startsWith('/api/') && !(request.routeOptions.url ?? '').startsWith('/api/')) return;
    const address = request.ip;
    const wait = limiter?.blockedFor(address) ?? 0;
    if (wait > 0) {
      reply.header('retry-after', String(Math.ceil(wait / 1000)));
      return sendError(reply, 429, ERROR_CODES.RATE_LIMITED, `Too many failed authentication attempts; wait ${Math.ceil(wait / 1000)} s.`);
    }
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/.exec(header) : null;
    if (!match) {
      limiter?.recordFailure(address);
      return sendError(reply, 401, ERROR_CODES.UNAUTHORIZED, 'Missing bearer token: send "Authorization: Bearer <token>" (the token is in <data-dir>/api-token or SECURESPHERE_API_TOKEN).');
    }
    if (!timingSafeEqual(digest(match[1]!), expected)) {
      limiter?.recordFailure(address);
      return sendError(reply, 401, ERROR_CODES.UNAUTHORIZED, 'Wrong bearer token.');
    }
  });
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
