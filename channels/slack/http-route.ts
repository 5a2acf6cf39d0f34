// HTTP mode on the gateway's own Fastify server: `POST /slack/events` (configurable) takes the
// Events API (JSON), interactivity (form-encoded `payload=`) and slash commands (form fields).
// Every request is verified before anything else: `X-Slack-Signature` (`v0=` HMAC-SHA256 of
// `v0:<timestamp>:<raw body>` with the signing secret, compared in constant time) and
// `X-Slack-Request-Timestamp` no more than 5 minutes from now. The `url_verification` challenge
// is answered; everything else goes to the dispatcher the running adapter attached (Bolt's
// App.processEvent), and the response is the acknowledgement; with none attached it is 503 and
// Slack retries. Free of Slack SDK imports, so the route exists before Bolt is loaded.
// Must never parse or store an unverified body.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChannelLogger } from '../channel.js';
import type { Dispatch } from './dispatch.js';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';

const MAX_SKEW_SECONDS = 5 * 60;
const BODY_LIMIT_BYTES = 1024 * 1024;

export interface SlackEventsRouteDeps {
  path: string;
  signingSecret: string;
  logger: ChannelLogger;
  dropMalformed(reason: string, details?: Record<string, unknown>): void;
}

export interface SlackEventsRoute {
  register(app: FastifyInstance): void;
  /** The running adapter's dispatcher; undefined while stopped (requests answer 503). */
  attach(dispatch: Dispatch | undefined): void;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Why a request is refused, or undefined when it is Slack's. */
export function verificationFailure(rawBody: string, signature: string | undefined, timestamp: string | undefined, signingSecret: string, nowMs = Date.now()): string | undefined {
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return 'missing or malformed signature headers';
  const skew = Math.abs(Math.floor(nowMs / 1000) - Number(timestamp));
  if (skew > MAX_SKEW_SECONDS) return 'timestamp more than 5 minutes from now (a replay?)';
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'signature mismatch';
}

function parseBody(rawBody: string, contentType: string): Record<string, unknown> {
  if (contentType.startsWith('application/json')) {
    const parsed = JSON.parse(rawBody) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, 'the JSON body is not an object');
    return parsed as Record<string, unknown>;
  }
  const form = new URLSearchParams(rawBody);
  const payload = form.get('payload');
  if (payload !== null) {
    const parsed = JSON.parse(payload) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, 'the form payload is not a JSON object');
    return parsed as Record<string, unknown>;
  }
  return Object.fromEntries(form);
}

export function createSlackEventsRoute(deps: SlackEventsRouteDeps): SlackEventsRoute {
  let current: Dispatch | undefined;

  async function handle(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const rawBody = typeof request.body === 'string' ? request.body : '';
    const contentType = (header(request, 'content-type') ?? '').toLowerCase();
    if (rawBody === 'ssl_check=1' || rawBody.startsWith('ssl_check=1&')) return reply.code(200).send('');
    const refused = verificationFailure(rawBody, header(request, 'x-slack-signature'), header(request, 'x-slack-request-timestamp'), deps.signingSecret);
    if (refused) {
      deps.logger.warn({ reason: refused, ip: request.ip }, 'slack: refused an unverified request');
      return reply.code(401).send({ error: 'invalid signature' });
    }
    let body: Record<string, unknown>;
    try {
      body = parseBody(rawBody, contentType);
    } catch {
      deps.dropMalformed('slack request body is not JSON or a form', { contentType });
      return reply.code(400).send({ error: 'malformed body' });
    }
    if (body.type === 'url_verification') return reply.code(200).send({ challenge: typeof body.challenge === 'string' ? body.challenge : '' });
    const retryHeader = header(request, 'x-slack-retry-num');
    const retryReason = header(request, 'x-slack-retry-reason');
    const dispatch = current;
    if (!dispatch) return reply.code(503).send({ error: 'the Slack channel is not running; retry' });
    const decision = await dispatch({ body, ...(retryHeader && /^\d+$/.test(retryHeader) ? { retryNum: Number(retryHeader) } : {}), ...(retryReason ? { retryReason } : {}) });
    if (!decision.ok) return reply.code(500).send({ error: 'not processed; retry' });
    if (decision.response === undefined) return reply.code(200).send('');
    return reply.code(200).send(decision.response);
  }

  return {
    register(fastify) {
      void fastify.register(async (scope) => {
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_req, body, done) => done(null, body));
        scope.post(deps.path, handle);
      });
    },
    attach(dispatch) {
      current = dispatch;
    },
  };
}
