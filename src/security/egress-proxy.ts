// The egress proxy: the only way a skill reaches the network. Agents stay on network "none";
// the http skill's in-agent script asks this proxy, over a Unix socket bind-mounted into the
// agent, for one URL at a time. Anything in the agent can connect, so the caller proves which
// skill it speaks for with a one-time capability token (egress-tokens.ts) minted by the
// gateway for that execution; without a live token nothing is fetched. It enforces the
// per-skill domain allowlist of the token's skill, refuses private and loopback addresses unless
// the operator allows them, pins the connection to the address it checked (no DNS rebinding),
// never follows redirects, and caps the response size. Requests use the absolute form
// (`GET http://host/path`) with the token in the x-securesphere-token header.
// Under abuse it holds nothing for nobody: the upstream request is destroyed when the agent-side
// client goes away, every request has a total deadline (a server trickling a byte at a time
// cannot hold it), and upstream connections count against the same connection cap as the
// agent-side ones.
import { promises as dns } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { rmSync } from 'node:fs';
import type { AddressInfo, LookupFunction } from 'node:net';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import { isPrivateAddress } from './egress-address.js';

export const TOKEN_HEADER = 'x-securesphere-token';
export const REFUSED_HEADER = 'x-securesphere-refused';
export const TRUNCATED_HEADER = 'x-securesphere-truncated';

export type EgressLookup = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface EgressProxyOptions {
  /** Listen on this Unix socket (preferred), or on `port` at `host` (default 127.0.0.1). */
  socketPath?: string;
  port?: number;
  host?: string;
  /** The skill a capability token speaks for, consuming it; null refuses the request. */
  identify: (token: string) => string | null;
  /** The allowlist decision for one skill and one lowercase host name. */
  allow: (skill: string, host: string) => boolean;
  maxResponseBytes: number;
  /** Idle timeout of the upstream connection (default 30 s). */
  timeoutMs?: number;
  /** Total time one request may take, from arrival to the last byte (default 60 s). */
  deadlineMs?: number;
  /** Agent-side plus upstream connections open at once (default 64). */
  maxConnections?: number;
  /** Let allowed names resolve to loopback/private addresses (tests, intranet setups). */
  allowPrivateAddresses?: boolean;
  lookup?: EgressLookup;
  logger?: { info?(details: Record<string, unknown>, message: string): void; warn(details: Record<string, unknown>, message: string): void };
}

export interface EgressProxy {
  readonly socketPath?: string;
  readonly port?: number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'content-length', TOKEN_HEADER,
]);

const defaultLookup: EgressLookup = async (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

function refuse(res: http.ServerResponse, status: number, reason: string, message: string): void {
  if (res.writableEnded) return; // already answered (e.g. the deadline refused it first)
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', [REFUSED_HEADER]: reason });
  res.end(message);
}

export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const lookup = options.lookup ?? defaultLookup;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadlineMs = options.deadlineMs ?? 60_000;
  const maxConnections = options.maxConnections ?? 64;
  let agentSide = 0;
  let upstreamOpen = 0;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, deadline: AbortSignal): Promise<void> {
    const token = req.headers[TOKEN_HEADER];
    if (typeof token !== 'string' || token === '') return refuse(res, 401, 'no_token', `missing ${TOKEN_HEADER} header: only skill executions granted egress may use this proxy`);
    const skill = options.identify(token);
    if (skill === null) {
      options.logger?.warn({}, 'egress refused: unknown, used or expired token');
      return refuse(res, 403, 'bad_token', 'the egress token is unknown, already used or expired');
    }
    if (req.method === 'CONNECT') return refuse(res, 405, 'connect_not_supported', 'CONNECT tunnels are not offered: the proxy must see the response to cap it');
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      return refuse(res, 400, 'bad_url', 'the request target must be an absolute http(s) URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse(res, 400, 'bad_scheme', 'only http and https URLs');
    if (url.username !== '' || url.password !== '') return refuse(res, 400, 'credentials_in_url', 'credentials in the URL are not allowed');
    const host = url.hostname.toLowerCase().replace(/\.$/, '').replace(/^\[|\]$/g, '');
    if (!options.allow(skill, host)) {
      options.logger?.warn({ skill, host }, 'egress refused: domain not allowed');
      return refuse(res, 403, 'domain_not_allowed', `${host} is not on the allowlist of skill ${skill}`);
    }
    let addresses: Array<{ address: string; family: number }>;
    try {
      addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host);
    } catch {
      return refuse(res, 502, 'dns_failed', `cannot resolve ${host}`);
    }
    const usable = options.allowPrivateAddresses ? addresses : addresses.filter((a) => !isPrivateAddress(a.address));
    const chosen = usable[0];
    if (chosen === undefined) return refuse(res, 403, 'private_address', `${host} resolves only to private or loopback addresses`);
    // Connect to exactly the address that was checked.
    const pinned: LookupFunction = (_hostname, opts, callback) => {
      if (opts && (opts as { all?: boolean }).all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [chosen]);
      else callback(null, chosen.address, chosen.family);
    };
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && !name.startsWith('x-securesphere-')) headers[name] = value;
    }
    const body = await readBody(req, 10 * 1024 * 1024);
    if (body === null) return refuse(res, 413, 'request_too_large', 'request body too large');
    if (body.length > 0) headers['content-length'] = String(body.length);
    // The client went away or the deadline passed while the body was read: nothing to fetch for.
    if (deadline.aborted || res.destroyed) return;
    if (agentSide + upstreamOpen >= maxConnections) {
      options.logger?.warn({ skill, host }, 'egress refused: connection cap reached');
      return refuse(res, 503, 'too_many_connections', `the egress proxy has ${maxConnections} connections open; try again later`);
    }
    const client = url.protocol === 'https:' ? https : http;
    const upstream = client.request(url, { method: req.method, headers, lookup: pinned, timeout: timeoutMs, servername: isIP(host) ? undefined : host, agent: false });
    upstreamOpen += 1;
    upstream.once('close', () => (upstreamOpen -= 1));
    const stop = () => upstream.destroy(new SecureSphereError(ERROR_CODES.SKILL_FAILED, `the request to ${host} passed its ${deadlineMs} ms deadline`));
    deadline.addEventListener('abort', stop, { once: true });
    // Nobody is waiting for the answer any more: stop fetching (and buffering) it.
    res.once('close', () => {
      deadline.removeEventListener('abort', stop);
      if (!res.writableFinished) upstream.destroy(new SecureSphereError(ERROR_CODES.SKILL_FAILED, `the agent side stopped waiting for ${host}`));
    });
    upstream.on('timeout', () => upstream.destroy(new SecureSphereError(ERROR_CODES.SKILL_FAILED, 'timeout')));
    upstream.on('error', (err) => refuse(res, 502, 'upstream_failed', `request to ${host} failed: ${err.message}`));
    upstream.on('response', (up) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const finish = () => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(up.headers)) {
          // An upstream must not be able to forge the proxy's own verdict headers.
          if (value !== undefined && !HOP_BY_HOP.has(name) && !name.startsWith('x-securesphere-')) out[name] = value;
        }
        out['content-length'] = String(size);
        if (truncated) out[TRUNCATED_HEADER] = '1';
        res.writeHead(up.statusCode ?? 502, out);
        res.end(Buffer.concat(chunks));
      };
      up.on('data', (chunk: Buffer) => {
        if (truncated) return;
        const room = options.maxResponseBytes - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          size += room;
          truncated = true;
          up.destroy();
          finish();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      up.on('end', () => { if (!truncated) finish(); });
      up.on('error', () => { if (!truncated) refuse(res, 502, 'upstream_failed', `reading from ${host} failed`); });
    });
    upstream.end(body);
    options.logger?.info?.({ skill, host, method: req.method }, 'egress request');
  }

  const server = http.createServer((req, res) => {
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      deadline.abort();
      refuse(res, 504, 'deadline', `the request took longer than ${deadlineMs} ms and was stopped`);
    }, deadlineMs);
    timer.unref();
    res.once('close', () => clearTimeout(timer));
    handle(req, res, deadline.signal).catch(() => refuse(res, 500, 'proxy_error', 'the egress proxy failed'));
  });
  // Agent code can connect to the socket at will: bound what it can hold open (upstream
  // connections are counted against the same cap in handle()).
  server.maxConnections = maxConnections;
  server.on('connection', (socket) => {
    agentSide += 1;
    socket.once('close', () => (agentSide -= 1));
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = deadlineMs + 10_000;
  server.on('connect', (_req, socket) => {
    socket.end('HTTP/1.1 405 Method Not Allowed\r\n' + `${REFUSED_HEADER}: connect_not_supported\r\n\r\n`);
  });
  if (options.socketPath !== undefined) {
    rmSync(options.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.socketPath, resolve));
  } else {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  }
  const address = server.address();
  return {
    socketPath: options.socketPath,
    port: typeof address === 'object' && address !== null ? (address as AddressInfo).port : undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
