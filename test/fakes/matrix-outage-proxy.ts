// A stand-in for "the Matrix homeserver is unreachable for sending": a plain HTTP proxy in front
// of the real Synapse that forwards every client-API request as it is, and while down() answers
// 502 to the bot's sends (PUT .../send/..., .../typing, .../redact) as a failing reverse proxy
// would, so user messages still arrive by /sync and the replies pile up in the outbox. Must
// never change a request or answer it passes on, or listen beyond 127.0.0.1.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface MatrixOutageProxy {
  url: string;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

const SENDING = /^\/_matrix\/client\/v3\/rooms\/[^/]+\/(send|typing|redact)\//;

export async function startMatrixOutageProxy(target: string): Promise<MatrixOutageProxy> {
  let failing = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failing && req.method === 'PUT' && SENDING.test(req.url ?? '')) {
        res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ errcode: 'M_UNKNOWN', error: 'Bad Gateway' }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection' && k !== 'content-length') headers[k] = v;
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body && req.method !== 'GET' && req.method !== 'HEAD' ? { body } : {}) })
        .then(async (answer) => {
          const out = Buffer.from(await answer.arrayBuffer());
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(out);
        })
        .catch(() => {
          if (!res.headersSent) res.writeHead(502).end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    down: () => {
      failing = true;
    },
    up: () => {
      failing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
