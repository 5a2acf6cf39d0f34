// Bearer-token authentication for every /api route. The token is checked by a TokenVerifier
// (principal.ts: constant-time for the operator's token, hashed lookup for named tokens), the
// caller's identity is attached to the request, and failed attempts are rate limited per
// client address.
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../core/errors.js';
import { sendError } from './http-errors.js';
import type { TokenVerifier } from './principal.js';

export interface AuthFailureLimiter {
  /** Milliseconds the address must wait, or 0 when it may try. */
  blockedFor(address: string): number;
  recordFailure(address: string): void;
}

export function installBearerAuth(app: FastifyInstance, verify: TokenVerifier, limiter?: AuthFailureLimiter): void {
  app.decorateRequest('principal', undefined);
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
    const principal = verify(match[1]!);
    if (!principal) {
      limiter?.recordFailure(address);
      return sendError(reply, 401, ERROR_CODES.UNAUTHORIZED, 'Wrong bearer token.');
    }
    request.principal = principal;
  });
}
