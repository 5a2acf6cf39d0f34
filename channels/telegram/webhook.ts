// Webhook mode: Telegram POSTs each update to a route on the gateway's own HTTP server. The
// X-Telegram-Bot-Api-Secret-Token header is compared in constant time with the secret given to
// setWebhook; a wrong or missing one is refused with 401 and nothing is stored. The update is
// acknowledged only after the host has durably admitted it, so a crash before that makes
// Telegram retry (and the host's de-duplication keeps it single). Must never log the header.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../../src/core/errors.js';
import { sendError } from '../../src/api/http-errors.js';
import type { ChannelLogger } from '../channel.js';

export interface WebhookRouteDeps {
  path: string;
  /** The current secret, or undefined while the channel is not running (answered 503: Telegram retries). */
  secret(): string | undefined;
  handle(update: unknown): Promise<void>;
  logger: ChannelLogger;
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function registerWebhookRoute(app: FastifyInstance, deps: WebhookRouteDeps): void {
  app.post(deps.path, async (request, reply) => {
    const expected = deps.secret();
    if (expected === undefined) {
      return sendError(reply, 503, ERROR_CODES.CHANNEL_UNAVAILABLE, 'The Telegram channel is not running; Telegram will retry.');
    }
    const given = request.headers['x-telegram-bot-api-secret-token'];
    if (typeof given !== 'string' || !sameSecret(given, expected)) {
      deps.logger.warn({ ip: request.ip, header: typeof given === 'string' ? 'wrong' : 'missing' }, 'telegram webhook refused: bad secret token');
      return sendError(reply, 401, ERROR_CODES.UNAUTHORIZED, 'Wrong or missing X-Telegram-Bot-Api-Secret-Token.');
    }
    await deps.handle(request.body);
    return reply.code(200).send({ ok: true });
  });
}
