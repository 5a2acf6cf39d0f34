// A minimal `fetch` over node:http(s) with keep-alive agents, for provider clients that take a
// fetch function (the ollama client does). Node's built-in fetch (undici) costs about twice the
// CPU per call of node:http: 2-3x on Node 20, and still 175 vs 92 µs per local JSON call on
// Node 24 (re-measured when the runtime moved to 24; the model call was the largest share of the
// gateway's own cost per message in bench/gateway.bench.ts). Supports what the clients use: method,
// headers, a string or byte body, an AbortSignal, and a streamed response body.
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

export function createHttpFetch(): typeof fetch {
  const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };
  return ((input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
      const request = (protocol === 'https:' ? https : http).request(
        url,
        { method: init?.method ?? 'GET', headers: headersOf(init?.headers), agent: agents[protocol], signal: init?.signal ?? undefined },
        (res) => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (Array.isArray(value)) for (const v of value) headers.append(name, v);
            else if (value !== undefined) headers.set(name, value);
          }
          const status = res.statusCode ?? 502;
          const empty = status === 204 || status === 304 || init?.method === 'HEAD';
          resolve(new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage, headers }));
        },
      );
      // Same shape as fetch: a network failure is a TypeError whose cause carries the code.
      request.on('error', (err) => reject(init?.signal?.aborted ? err : new TypeError('fetch failed', { cause: err })));
      const body = init?.body;
      if (body === undefined || body === null) request.end();
      else if (typeof body === 'string' || body instanceof Uint8Array) request.end(body);
      else reject(new TypeError('createHttpFetch supports string and byte bodies only'));
    })) as typeof fetch;
}

function headersOf(init: ConstructorParameters<typeof Headers>[0]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!init) return out;
  new Headers(init).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
