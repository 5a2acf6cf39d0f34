// Shared setup for the web channel tests: the real API app (bearer auth, error handler) on a
// real port with the web channel's routes, and a recording ChannelContext.
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createApiApp } from '../../src/api/app.js';
import type { ChannelContext, DecisionInput, DecisionOutcome, InboundMessage, ReceiveResult } from '../../channels/channel.js';
import { createWebChannel, type WebChannel, type WebChannelOptions } from '../../channels/web/index.js';

export const TOKEN = 'test-token-7f3a9c';

export interface WebHarness {
  url: string;
  app: FastifyInstance;
  channel: WebChannel;
  received: InboundMessage[];
  decisions: DecisionInput[];
  /** Command answers the adapter queued through the host (the web page has none today). */
  notified: Array<{ conversationId: string; threadId?: string; text: string }>;
  logs: string[];
  /** Replaces what the gateway does when the page sends a message or a decision. */
  onReceive: (message: InboundMessage) => Promise<ReceiveResult | void>;
  onDecide: (input: DecisionInput) => Promise<DecisionOutcome | void>;
  close(): Promise<void>;
}

export async function startWebHarness(options: WebChannelOptions = {}): Promise<WebHarness> {
  const logs: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => logs.push(line) });
  const channel = createWebChannel(options);
  const app = createApiApp({
    token: TOKEN,
    bodyLimitBytes: 65_536,
    logger,
    routes: [(a) => channel.registerRoutes(a)],
  });
  const harness: WebHarness = {
    url: '',
    app,
    channel,
    received: [],
    decisions: [],
    notified: [],
    logs,
    onReceive: async () => undefined,
    onDecide: async () => undefined,
    close: async () => {
      await channel.stop();
      // undici may hold an idle socket that never carried a request; Node does not count it as
      // idle, so app.close() would wait for the client's 4 s keep-alive. Cut it.
      const closing = app.close();
      app.server.closeAllConnections();
      await closing;
    },
  };
  const ctx: ChannelContext = {
    channel: 'web',
    receive: async (message) => {
      harness.received.push(message);
      return (await harness.onReceive(message)) ?? { status: 'admitted', conversationKey: `web:${message.conversationId}` };
    },
    decide: async (input) => {
      harness.decisions.push(input);
      return (await harness.onDecide(input)) ?? { status: 'approved', approvalId: input.approvalId, scope: 'once', message: 'Approved.' };
    },
    resetConversation: async () => undefined,
    statusText: async () => 'status',
    notify: (address, text) => harness.notified.push({ ...address, text }),
    identity: (id) => `web:${id}`,
    dropMalformed: (reason) => logger.warn({ reason }, 'malformed platform event dropped'),
    logger,
  };
  await channel.start(ctx);
  harness.url = await app.listen({ port: 0, host: '127.0.0.1' });
  return harness;
}

export function authed(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${TOKEN}`, ...extra };
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = authed()): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** Reads a text/event-stream response; `next(n)` resolves with the next n message events. */
export function readEvents(res: Response): { next(n: number): Promise<SseEvent[]>; cancel(): Promise<void> } {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const ready: SseEvent[] = [];

  function drain(): void {
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event: Partial<SseEvent> & { event: string } = { event: 'message' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) event.id = line.slice(4);
        else if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) ready.push({ ...event, data: JSON.parse(data.join('\n')) as Record<string, unknown> });
    }
  }

  return {
    async next(n) {
      while (ready.length < n) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error(`stream ended with ${ready.length} of ${n} events`);
        buffer += decoder.decode(chunk.value, { stream: true });
        drain();
      }
      return ready.splice(0, n);
    },
    cancel: () => reader.cancel(),
  };
}
