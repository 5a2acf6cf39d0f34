// Bearer-token authentication for every /api route. The token is checked first by a
// TokenVerifier (principal.ts: constant time over SHA-256 for the operator's token, a hashed
// lookup for named tokens) and the caller's identity is attached to the request; only failed
// attempts are rate limited per client address, so the limiter never refuses a valid token.
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
    // The token is checked first: a valid token is served whatever failures came from the same
    // address, so nobody can lock the operator out by failing on purpose. Only failing
    // requests are limited (429 with Retry-After once the address's allowance is spent).
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/.exec(header) : null;
    const principal = match ? verify(match[1]!) : undefined;
    if (principal) {
      request.principal = principal;
      return;
    }
    const address = request.ip;
    const alreadyBlocked = limiter !== undefined && limiter.blockedFor(address) > 0;
    // Back-off: every failing attempt counts, also while blocked, so the wait restarts from it.
    limiter?.recordFailure(address);
    if (limiter && alreadyBlocked) {
      const wait = Math.ceil(Math.max(1, limiter.blockedFor(address)) / 1000);
      reply.header('retry-after', String(wait));
      return sendError(reply, 429, ERROR_CODES.RATE_LIMITED, `Too many failed authentication attempts; wait ${wait} s.`);
    }
    if (!match) {
      return sendError(reply, 401, ERROR_CODES.UNAUTHORIZED, 'Missing bearer token: send "Authorization: Bearer <token>" (the token is in <data-dir>/api-token or SECURESPHERE_API_TOKEN).');
    }
    return sendError(reply, 401, ERROR_CODES.UNAUTHORIZED, 'Wrong bearer token.');
  });
}
