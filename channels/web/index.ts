// The web channel: a small self-contained chat page served by the gateway's own Fastify app.
// The integrator adds the channel like any other and calls registerRoutes(app) on the API app
// (which enforces the bearer token on /api/*). Whoever holds the API token acts as `userId`.
import type { FastifyInstance } from 'fastify';
import { newId } from '../../src/core/ids.js';
import type { ReplyProgress, ReplyStreamHub } from '../../src/core/reply-stream.js';
import type { OutboundMessage } from '../../src/core/types.js';
import type { Channel, ChannelContext } from '../channel.js';
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
  /** Replies as they are written; while a page shows a conversation, its replies stream there. */
  replyStreams?: ReplyStreamHub;
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

  function closeStreams(): void {
    for (const stream of [...streams]) stream.close();
    streams.clear();
  }

  return {
    name: 'web',
    feeds,
    async start(ctx) {
      context = ctx;
      unsubscribeReplies =
        options.replyStreams?.subscribe(showProgress, { channel: 'web', wants: (_channel, conversationId) => feeds.subscriberCount(conversationId) > 0 }) ?? unsubscribeReplies;
    },
    async stop() {
      context = undefined;
      unsubscribeReplies();
      closeStreams();
    },
    async deliver(message: OutboundMessage) {
      // The final text of a streamed reply takes the place of its streamed bubble.
      const streamed = message.approval || message.replacesPlatformMessageId ? undefined : awaitingFinal.get(message.conversationId);
      if (streamed) {
        awaitingFinal.delete(message.conversationId);
        feeds.append(message.conversationId, { id: streamed, replaces: streamed, from: 'bot', text: message.text, time: new Date().toISOString() });
        return streamed;
      }
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
