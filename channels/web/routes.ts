// HTTP routes of the web channel. The page and its assets are public; everything that reads or
// writes conversation data lives under /api/web/, behind the gateway's bearer-token check.
// Malformed requests from the page get a 400 and a log line; they never reach the gateway.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../../src/core/errors.js';
import { parseRequestPart, sendError } from '../../src/api/http-errors.js';
import { newId } from '../../src/core/ids.js';
import type { ChannelContext } from '../channel.js';
import { openEventStream, type EventStream } from './event-stream.js';
import type { ConversationFeeds } from './feed.js';
import { PAGE_HTML } from './page/html.js';
import { PAGE_SCRIPT } from './page/script.js';
import { PAGE_CSS } from './page/style.js';

export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const conversationId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" or "-", at most 64');

const messageBody = z.strictObject({
  conversation_id: conversationId,
  text: z.string().max(16_000).refine((t) => t.trim() !== '', 'must not be empty'),
  client_message_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
});

const approvalBody = z.strictObject({
  approval_id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
  decision: z.enum(['approve', 'deny', 'allow_conversation']),
});

const eventsQuery = z.strictObject({
  conversation_id: conversationId,
  after: z.coerce.number().int().min(0).optional(),
});

/** How a refused press is answered over HTTP (the page shows the message). */
const REFUSALS = {
  not_an_approver: { status: 403, code: ERROR_CODES.APPROVAL_NOT_ALLOWED },
  already_decided: { status: 409, code: ERROR_CODES.APPROVAL_ALREADY_DECIDED },
  not_found: { status: 404, code: ERROR_CODES.APPROVAL_NOT_FOUND },
  invalid: { status: 400, code: ERROR_CODES.BAD_REQUEST },
} as const;

export interface WebRouteDeps {
  feeds: ConversationFeeds;
  /** The running channel context, or undefined before start() / after stop(). */
  context(): ChannelContext | undefined;
  streams: Set<EventStream>;
  userId: string;
  userName: string;
  maxStreams: number;
  maxStreamsPerConversation: number;
  heartbeatMs: number;
}

/** The gateway's error answer, plus a log line naming the web route that refused. */
function reject(request: FastifyRequest, reply: FastifyReply, status: number, code: ErrorCode, message: string): FastifyReply {
  request.log.warn({ channel: 'web', route: request.routeOptions.url, status, reason: message }, 'web channel rejected a request');
  return sendError(reply, status, code, message);
}

function pageHeaders(reply: FastifyReply, contentType: string): FastifyReply {
  return reply
    .header('content-type', contentType)
    .header('content-security-policy', PAGE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin')
    .header('cache-control', 'no-store');
}

/**
 * Defence in depth for the token check: the gateway authenticates by URL prefix, and a
 * percent-encoded path ("/%61pi/web/…") reaches these routes without that prefix. Such a
 * request is refused here whatever the gateway's hook decided.
 */
function literalApiPath(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  if (request.url.startsWith('/api/web/')) return undefined;
  return reject(request, reply, 404, ERROR_CODES.NOT_FOUND, 'Use the literal /api/web/ path.');
}

export function registerWebRoutes(app: FastifyInstance, deps: WebRouteDeps): void {
  app.get('/', (_request, reply) => pageHeaders(reply, 'text/html; charset=utf-8').send(PAGE_HTML));
  app.get('/web/app.js', (_request, reply) => pageHeaders(reply, 'text/javascript; charset=utf-8').send(PAGE_SCRIPT));
  // Browsers ask for it on every page load; an empty answer keeps their console clean.
  app.get('/favicon.ico', (_request, reply) => reply.code(204).header('cache-control', 'max-age=86400').send());
  app.get('/web/app.css', (_request, reply) => pageHeaders(reply, 'text/css; charset=utf-8').send(PAGE_CSS));

  app.post('/api/web/messages', async (request, reply) => {
    const refused = literalApiPath(request, reply);
    if (refused) return refused;
    const input = parseRequestPart(messageBody, request.body, 'message');
    if (!input.ok) return reject(request, reply, 400, ERROR_CODES.BAD_REQUEST, input.message);
    const ctx = deps.context();
    if (!ctx) return reject(request, reply, 503, ERROR_CODES.CHANNEL_UNAVAILABLE, 'The web channel is not running.');
    const { conversation_id: conversation, text } = input.data;
    const platformMessageId = input.data.client_message_id ?? newId('wu');
    const time = new Date();
    deps.feeds.append(conversation, {
      id: platformMessageId,
      from: 'user',
      text,
      time: time.toISOString(),
      sender_name: deps.userName,
    });
    const result = await ctx.receive({
      conversationId: conversation,
      chatType: 'direct',
      senderId: deps.userId,
      senderName: deps.userName,
      text,
      time,
      platformMessageId,
      // The page re-sends a message id only when it did not see the answer.
      repeatReplyIfDuplicate: true,
    });
    if (result.status === 'refused') {
      const status = result.reason === 'rate_limited' ? 429 : result.reason === 'invalid' ? 400 : 403;
      const code = result.reason === 'rate_limited' ? ERROR_CODES.RATE_LIMITED : result.reason === 'invalid' ? ERROR_CODES.BAD_REQUEST : ERROR_CODES.UNAUTHORIZED;
      return reject(request, reply, status, code, result.message);
    }
    return reply.code(202).send({ accepted: true, duplicate: result.status === 'duplicate', conversation_id: conversation, message_id: platformMessageId });
  });

  app.post('/api/web/approvals', async (request, reply) => {
    const refused = literalApiPath(request, reply);
    if (refused) return refused;
    const input = parseRequestPart(approvalBody, request.body, 'decision');
    if (!input.ok) return reject(request, reply, 400, ERROR_CODES.BAD_REQUEST, input.message);
    const ctx = deps.context();
    if (!ctx) return reject(request, reply, 503, ERROR_CODES.CHANNEL_UNAVAILABLE, 'The web channel is not running.');
    // The decider is the page's configured user, never a field of the request.
    const outcome = await ctx.decide({ approvalId: input.data.approval_id, decision: input.data.decision, userId: deps.userId });
    if (outcome.status !== 'refused') return reply.code(200).send({ ok: true, outcome });
    const refusal = REFUSALS[outcome.reason];
    return reply.code(refusal.status).send({ error: { code: refusal.code, message: outcome.message }, outcome });
  });

  app.get('/api/web/events', (request, reply) => {
    const refused = literalApiPath(request, reply);
    if (refused) return refused;
    const input = parseRequestPart(eventsQuery, request.query, 'query');
    if (!input.ok) return reject(request, reply, 400, ERROR_CODES.BAD_REQUEST, input.message);
    const conversation = input.data.conversation_id;
    if (deps.streams.size >= deps.maxStreams || deps.feeds.subscriberCount(conversation) >= deps.maxStreamsPerConversation) {
      return reject(request, reply, 429, ERROR_CODES.RATE_LIMITED, 'Too many open web event streams; close other tabs.');
    }
    reply.hijack();
    let unsubscribe = (): void => undefined;
    const stream = openEventStream(reply.raw, deps.heartbeatMs, () => {
      unsubscribe();
      deps.streams.delete(stream);
    });
    deps.streams.add(stream);
    // Replay and subscribe in one synchronous step, so no event falls between them.
    let last = input.data.after ?? 0;
    for (const event of deps.feeds.since(conversation, last)) {
      stream.send(event);
      last = event.seq;
    }
    unsubscribe = deps.feeds.subscribe(conversation, (event) => {
      if (event.seq > last) stream.send(event);
    });
    if (stream.closed) unsubscribe();
  });
}
