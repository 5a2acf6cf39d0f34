// GET /api/conversations/:id/stream: server-sent events with the conversation's replies as the
// model writes them (the terminal chat shows them this way). Each `progress` event carries the
// reply so far; tool calls are never streamed. While a client listens, the conversation's model
// calls stream; the final reply still arrives the usual way (the POST answer, the channel).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ReplyStreamHub } from '../../core/reply-stream.js';
import { parseOr400 } from '../http-errors.js';

const MAX_BUFFERED_BYTES = 1_048_576;

export function replyStreamRoutes(hub: ReplyStreamHub, options: { heartbeatMs?: number } = {}) {
  return (app: FastifyInstance): void => {
    const open = new Set<() => void>();
    app.addHook('preClose', async () => {
      for (const close of [...open]) close();
    });
    app.get('/api/conversations/:id/stream', (request, reply) => {
      const { id } = parseOr400(z.object({ id: z.string().min(1).max(200) }), request.params, 'path');
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'close' });
      raw.write(': open\n\n');
      const write = (chunk: string): void => {
        if (raw.writableLength > MAX_BUFFERED_BYTES) raw.destroy();
        else raw.write(chunk);
      };
      const unsubscribe = hub.subscribe(
        (event) => write(`event: progress\ndata: ${JSON.stringify({ stream_id: event.streamId, channel: event.channel, text: event.text, done: event.done, ...(event.done ? { final: event.final === true } : {}) })}\n\n`),
        { conversationId: id },
      );
      const heartbeat = setInterval(() => write(': ping\n\n'), options.heartbeatMs ?? 15_000);
      heartbeat.unref();
      const close = (): void => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(close);
        if (!raw.writableEnded) raw.end();
      };
      open.add(close);
      raw.on('close', close);
    });
  };
}
