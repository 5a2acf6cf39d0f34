// The Web API half of the Slack stand-in on a real socket: `POST /api/<method>` with the
// bodies @slack/web-api sends (application/x-www-form-urlencoded with JSON-encoded blocks, or
// application/json), the token in `Authorization: Bearer` or the `token` field, Slack's answers
// (`{ok:true,...}`, HTTP 200 `{ok:false,error}`), 429 with `Retry-After` and 5xx on demand.
// The same HTTP server upgrades `/link/` to the Socket Mode WebSocket.
// Must never answer a method for a wrong token: Slack says `invalid_auth`, so does this.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SocketModeServer } from './slack-socket-mode.js';
import { SlackApiError, type Params, type SlackWorkspace } from './slack-state.js';

export type InjectedApiFailure = { status: 429; retryAfterSeconds: number } | { status: 500 | 502 | 503 | 504 };

export interface RecordedApiCall {
  method: string;
  params: Params;
  contentType: string;
  /** HTTP status answered. */
  status: number;
  /** Slack's `error` when ok was false. */
  error?: string;
  at: number;
}

async function readParams(req: IncomingMessage): Promise<{ params: Params; contentType: string }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const params: Params = {};
  if (raw === '') return { params, contentType };
  if (contentType.startsWith('application/json')) {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SlackApiError('invalid_json');
    Object.assign(params, parsed);
  } else {
    for (const [k, v] of new URLSearchParams(raw)) params[k] = v;
  }
  return { params, contentType };
}

function bearer(req: IncomingMessage, params: Params): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length);
  return typeof params.token === 'string' ? params.token : undefined;
}

export interface WebApiServerDeps {
  workspace: SlackWorkspace;
  socketMode: SocketModeServer;
}

export async function startSlackWebApi(deps: WebApiServerDeps) {
  const { workspace, socketMode } = deps;
  const calls: RecordedApiCall[] = [];
  const failures: Array<{ method?: string; failure: InjectedApiFailure }> = [];
  let url = '';
  let down = false;

  function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method !== 'POST' || !path.startsWith('/api/')) return answer(res, 404, { ok: false, error: 'unknown_method' });
    const method = path.slice('/api/'.length);
    const record: RecordedApiCall = { method, params: {}, contentType: '', status: 200, at: performance.now() };
    calls.push(record);
    try {
      const { params, contentType } = await readParams(req);
      record.params = params;
      record.contentType = contentType;
      if (down) {
        record.status = 503;
        return answer(res, 503, { ok: false, error: 'service_unavailable' });
      }
      const injected = failures.findIndex((f) => f.method === undefined || f.method === method);
      if (injected >= 0) {
        const [{ failure }] = failures.splice(injected, 1) as [{ failure: InjectedApiFailure }];
        record.status = failure.status;
        if (failure.status === 429) return answer(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfterSeconds) });
        return answer(res, failure.status, { ok: false, error: 'fatal_error' });
      }
      const token = bearer(req, params);
      if (method === 'apps.connections.open') {
        if (token !== workspace.bot.appToken) throw new SlackApiError(token?.startsWith('xapp-') ? 'invalid_auth' : 'not_allowed_token_type');
        return answer(res, 200, { ok: true, url: socketMode.issueUrl(url.replace(/^http/, 'ws')) });
      }
      return answer(res, 200, { ok: true, ...workspace.call(method, token, params) });
    } catch (err) {
      const error = err instanceof SlackApiError ? err.error : 'invalid_arguments';
      record.error = error;
      return answer(res, 200, { ok: false, error });
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => answer(res, 500, { ok: false, error: 'fatal_error' }));
  });
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').startsWith('/link/')) socketMode.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    /** What `api_url` / `slackApiUrl` should be. */
    apiUrl: `${url}/api/`,
    calls,
    /** The next call (of `method`, or any) fails this way; call several times to queue several. */
    failNext(failure: InjectedApiFailure, method?: string): void {
      failures.push({ failure, ...(method ? { method } : {}) });
    },
    /** Slack's Web API unreachable (503 for every call) until called again with false. */
    setDown(value: boolean): void {
      down = value;
    },
    close(): Promise<void> {
      socketMode.close();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export type SlackWebApiServer = Awaited<ReturnType<typeof startSlackWebApi>>;
