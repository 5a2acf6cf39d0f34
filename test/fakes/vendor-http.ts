// The HTTP plumbing every cloud-vendor stand-in shares: a real server on 127.0.0.1, a queue of
// scripted turns (with an "echo the last user text" default), request recording, delays that
// end when the client hangs up, and SSE writing. The vendor files only speak their format.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Usage, VendorTurn } from './vendor-script.js';

/** A turn that produces an answer (delays waited out, disconnects done). */
export type AnsweringTurn = Exclude<VendorTurn, { type: 'delay' } | { type: 'disconnect' }>;

export interface RecordedVendorRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface VendorReply {
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  /** Starts an SSE response; write() sends raw event text (the caller frames it). */
  sse(): { write(text: string): void; end(): void };
  raw: ServerResponse;
  /** Waits ms; false when the client hung up meanwhile. */
  sleep(ms: number): Promise<boolean>;
}

export interface VendorHttpServer {
  readonly url: string;
  readonly requests: RecordedVendorRequest[];
  /** Usage numbers the fake reported, one entry per answered model call. */
  readonly usages: Usage[];
  enqueue(...turns: VendorTurn[]): void;
  pending(): number;
  /** Next scripted turn (delays resolved), or undefined when the client hung up. */
  nextTurn(reply: VendorReply, fallback: VendorTurn): Promise<AnsweringTurn | undefined>;
  close(): Promise<void>;
}

export type VendorHandler = (req: RecordedVendorRequest, reply: VendorReply, server: VendorHttpServer) => Promise<void>;

export async function startVendorHttpServer(handler: VendorHandler, options: { record?: boolean } = {}): Promise<VendorHttpServer> {
  const record = options.record ?? true;
  const queue: VendorTurn[] = [];
  const requests: RecordedVendorRequest[] = [];
  const usages: Usage[] = [];
  const timers = new Set<NodeJS.Timeout>();

  function replyFor(res: ServerResponse): VendorReply {
    return {
      raw: res,
      json(status, body, headers = {}) {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
        res.end(text);
      },
      sse() {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
        return { write: (text) => void res.write(text), end: () => res.end() };
      },
      sleep: (ms) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve(!res.destroyed);
          }, ms);
          timers.add(timer);
          res.once('close', () => {
            clearTimeout(timer);
            timers.delete(timer);
            resolve(false);
          });
        }),
    };
  }

  const self: VendorHttpServer = {
    url: '',
    requests,
    usages,
    enqueue: (...turns) => void queue.push(...turns),
    pending: () => queue.length,
    async nextTurn(reply, fallback) {
      let turn: VendorTurn = queue.shift() ?? fallback;
      while (turn.type === 'delay') {
        if (!(await reply.sleep(turn.ms))) return undefined;
        turn = turn.then ?? fallback;
      }
      if (turn.type === 'disconnect') {
        reply.raw.socket?.destroy();
        return undefined;
      }
      return turn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const server = createServer((req, res) => {
    (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        body = raw;
      }
      const url = new URL(req.url ?? '/', 'http://fake');
      const recorded = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body };
      if (record) requests.push(recorded);
      await handler(recorded, replyFor(res), self);
    })().catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `fake script failed: ${(err as Error).message}` } }));
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  (self as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return self;
}
