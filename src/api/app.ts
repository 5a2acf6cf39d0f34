// Builds the HTTP API (Fastify) from its dependencies. No listening here: the caller decides
// where to bind. Route groups live in routes/, one file each, registered below.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { installBearerAuth, type AuthFailureLimiter } from './auth.js';
import { ERROR_CODES } from '../core/errors.js';
import { errorHandler, sendError } from './http-errors.js';
import { createTokenVerifier } from './principal.js';
import { installRequestGuards, type HostCheckOptions } from './request-guards.js';
import type { ApiTokenStore } from '../store/api-tokens.js';

export type RouteGroup = (app: FastifyInstance) => void;

export interface ApiAppOptions {
  /** The operator's token (`api:operator`). */
  token: string;
  /** Named tokens (`api:<name>`), when the store is available. */
  tokens?: Pick<ApiTokenStore, 'verify'>;
  bodyLimitBytes: number;
  logger: Logger;
  authLimiter?: AuthFailureLimiter;
  /** The Host check (DNS-rebinding guard); the web routes' same-origin check is always on. */
  hosts?: HostCheckOptions;
  routes: RouteGroup[];
  /** Applied to every response body: a known secret value never leaves in an API answer. */
  redact?: (text: string) => string;
}

export function createApiApp(options: ApiAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes,
    // Per-request log lines would cost more than the work on the hot path; errors still log.
    logController: new LogController({ disableRequestLogging: true }),
    // Conversation ids from platforms may contain ':'; keep routing strict otherwise.
    routerOptions: { maxParamLength: 512 },
    // Close idle keep-alive sockets on shutdown instead of waiting for clients to drop them.
    forceCloseConnections: 'idle',
  }) as unknown as FastifyInstance;
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, ERROR_CODES.NOT_FOUND, `No route ${request.method} ${request.url.split('?')[0]}.`));
  installRequestGuards(app, options.hosts);
  installBearerAuth(app, createTokenVerifier({ operatorToken: options.token, ...(options.tokens ? { tokens: options.tokens } : {}) }), options.authLimiter);
  const redact = options.redact;
  if (redact) {
    app.addHook('onSend', async (_request, _reply, payload) => (typeof payload === 'string' ? redact(payload) : payload));
  }
  for (const register of options.routes) register(app);
  return app;
}
