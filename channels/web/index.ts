// The web channel: a small self-contained chat page served by the gateway's own Fastify app.
// The integrator adds the channel like any other and calls registerRoutes(app) on the API app
// (which enforces the bearer token on /api/*). Whoever holds the API token acts as `userId`.
import type { FastifyInstance } from 'fastify';
import { newId } from '../../src/core/ids.js';
import type { OutboundMessage } from '../../src/core/types.js';
import type { Channel, ChannelContext } from '../legacy-channel.js';
import type { EventStream } from './event-stream.js';
import { createConversationFeeds, toWireApproval, type ConversationFeeds, type FeedLimits } from './feed.js';
import { registerWebRoutes } from './routes.js';

export interface WebChannelOptions {
  /** The user id the page's messages and approval decisions carry. Default "web-operator". */
  userId?: string;
  userName?: string;
  /** Open event streams in total, and per conversation. Defaults 100 and 5. */
  maxStreams?: number;
  maxStreamsPerConversation?: number;
  /** Keep-alive comment interval on event streams. Default 15 s. */
  heartbeatMs?: number;
  feedLimits?: FeedLimits;
}

export interface WebChannel extends Channel {
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

  return {
    name: 'web',
    feeds,
    async start(ctx) {
      context = ctx;
    },
    async stop() {
      context = undefined;
      closeStreams();
    },
    async deliver(message: OutboundMessage) {
      const id = newId('wm');
      feeds.append(message.conversationId, {
        id,
        from: 'bot',
        text: message.text,
        time: new Date().toISOString(),
        ...(message.replacesPlatformMessageId ? { replaces: message.replacesPlatformMessageId } : {}),
        ...(message.approval ? { approval: toWireApproval(message.approval) } : {}),
      });
      // An in-place update keeps the original id, so later updates still find the prompt.
      return message.replacesPlatformMessageId ?? id;
    },
    registerRoutes(app) {
      // Open streams would keep app.close() waiting forever: end them first.
      app.addHook('preClose', async () => closeStreams());
      registerWebRoutes(app, {
        feeds,
        context: () => context,
        streams,
        userId: options.userId ?? 'web-operator',
        userName: options.userName ?? 'Web operator',
        maxStreams: options.maxStreams ?? 100,
        maxStreamsPerConversation: options.maxStreamsPerConversation ?? 5,
        heartbeatMs: options.heartbeatMs ?? 15_000,
      });
    },
  };
}
