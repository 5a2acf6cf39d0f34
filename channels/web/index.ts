// The web channel: a small self-contained chat page served by the gateway's own Fastify app.
// The channel host registers its routes on the API app (which enforces the bearer token on
// /api/*). Whoever holds the API token acts as `web:<userId>` (default `web:operator`), so the
// channel is always `open`: the token is its access control. Never trusts a user id from the page.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { newId } from '../../src/core/ids.js';
import type { ReplyProgress, ReplyStreamHub } from '../../src/core/reply-stream.js';
import type { ChannelAdapter, ChannelContext, ChannelDefinition, OutboundDelivery } from '../channel.js';
import type { EventStream } from './event-stream.js';
import { createConversationFeeds, toWireApproval, type ConversationFeeds, type FeedLimits } from './feed.js';
import { registerWebRoutes } from './routes.js';

export interface WebChannelOptions {
  /** The platform user id the page's messages and decisions carry (identity `web:<id>`). Default "operator". */
  userId?: string;
  userName?: string;
  /** Open event streams in total, and per conversation. Defaults 100 and 5. */
  maxStreams?: number;
  maxStreamsPerConversation?: number;
  /** Keep-alive comment interval on event streams. Default 15 s. */
  heartbeatMs?: number;
  feedLimits?: FeedLimits;
  /** Replies as they are written; while a page shows a conversation, its replies stream there. */
  replyStreams?: ReplyStreamHub;
}

export interface WebChannel extends ChannelAdapter {
  /** Adds GET /, /web/app.js, /web/app.css and /api/web/{messages,approvals,events} to the app. */
  registerRoutes(app: FastifyInstance): void;
  /** For tests and diagnostics: the in-memory feeds behind the event streams. */
  readonly feeds: ConversationFeeds;
}

export function createWebChannel(options: WebChannelOptions = {}): WebChannel {
  const feeds = createConversationFeeds(options.feedLimits);
  const streams = new Set<EventStream>();
  let context: ChannelContext | undefined;

  function closeStreams(): void {
    for (const stream of [...streams]) stream.close();
    streams.clear();
  }

  let unsubscribeReplies = (): void => undefined;
  // conversation -> the feed id of a streamed reply whose final text is delivered next.
  const awaitingFinal = new Map<string, string>();

  function showProgress(event: ReplyProgress): void {
    const id = `ws_${event.streamId}`;
    const seen = feeds.since(event.conversationId, 0).some((e) => e.id === id || e.replaces === id);
    if (!seen && event.text === '') return;
    feeds.append(event.conversationId, {
      id,
      from: 'bot',
      text: event.text,
      time: new Date().toISOString(),
      ...(seen ? { replaces: id } : {}),
      ...(event.done ? {} : { streaming: true }),
    });
    if (event.done && event.final) awaitingFinal.set(event.conversationId, id);
    if (awaitingFinal.size > 1000) awaitingFinal.delete(awaitingFinal.keys().next().value!);
  }

  let connected = false;
  function post(message: OutboundDelivery, replaces?: string): string {
    const id = newId('wm');
    feeds.append(message.address.conversationId, {
      id,
      from: 'bot',
      text: message.text,
      time: new Date().toISOString(),
      ...(replaces ? { replaces } : {}),
      ...(message.approval ? { approval: toWireApproval(message.approval) } : {}),
    });
    return id;
  }

  return {
    name: 'web',
    feeds,
    limits: { maxTextLength: 16_000, supportsEdit: true },
    async start(ctx) {
      context = ctx;
      connected = true;
      unsubscribeReplies =
        options.replyStreams?.subscribe(showProgress, { channel: 'web', wants: (_channel, conversationId) => feeds.subscriberCount(conversationId) > 0 }) ?? unsubscribeReplies;
    },
    async stop() {
      context = undefined;
      connected = false;
      unsubscribeReplies();
      closeStreams();
    },
    async deliver(message) {
      // The final text of a streamed reply takes the place of its streamed bubble.
      const streamed = message.approval ? undefined : awaitingFinal.get(message.address.conversationId);
      if (streamed) {
        awaitingFinal.delete(message.address.conversationId);
        feeds.append(message.address.conversationId, { id: streamed, replaces: streamed, from: 'bot', text: message.text, time: new Date().toISOString() });
        return { platformMessageId: streamed };
      }
      return { platformMessageId: post(message) };
    },
    async edit(platformMessageId, message) {
      // An in-place update names the original id, so later updates still find the prompt.
      post(message, platformMessageId);
    },
    health() {
      return { connected, details: { streams: streams.size } };
    },
    registerRoutes(app) {
      // Open streams would keep app.close() waiting forever: end them first.
      app.addHook('preClose', async () => closeStreams());
      registerWebRoutes(app, {
        feeds,
        context: () => context,
        streams,
        userId: options.userId ?? 'operator',
        userName: options.userName ?? 'Web operator',
        maxStreams: options.maxStreams ?? 100,
        maxStreamsPerConversation: options.maxStreamsPerConversation ?? 5,
        heartbeatMs: options.heartbeatMs ?? 15_000,
      });
    },
  };
}

const webConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
});

/** The registry entry: on by default (`channels.web.enabled: false` turns it off). */
export const webChannelDefinition: ChannelDefinition<z.infer<typeof webConfigSchema>> = {
  name: 'web',
  configSchema: webConfigSchema,
  defaultConfig: {},
  enabled: (config) => config.enabled,
  // The bearer token is the web channel's access control; the page has one user, the operator.
  access: () => ({ mode: 'open', allow: [], groupChats: [] }),
  create: (_config, deps) => createWebChannel(deps.replyStreams ? { replyStreams: deps.replyStreams } : {}),
};
