// The egress proxy under abuse, over its real Unix socket against real local servers on
// 127.0.0.1: a server trickling one byte at a time is cut at the request's total deadline (an
// idle timeout alone never fires); a client that goes away gets its upstream request destroyed
// (the upstream server sees its socket close); upstream connections count against the cap.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REFUSED_HEADER, TOKEN_HEADER, startEgressProxy, type EgressProxy } from '../../src/security/egress-proxy.js';

let upstream: http.Server;
let port: number;
let dir: string;
const upstreamSockets: Socket[] = [];
const proxies: EgressProxy[] = [];
let trickle: NodeJS.Timeout[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ss-egress-abuse-'));
  upstream = http.createServer((req, res) => {
    if (req.url === '/trickle') {
      // Headers, then one byte every 100 ms, forever: never idle long enough for an idle timeout.
      res.writeHead(200, { 'content-type': 'text/plain' });
      trickle.push(setInterval(() => res.write('x'), 100));
      return;
    }
    if (req.url === '/hold') return; // never answers
    res.end('ok');
  });
  upstream.on('connection', (s) => upstreamSockets.push(s));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  port = (upstream.address() as AddressInfo).port;
});
afterEach(async () => {
  for (const t of trickle) clearInterval(t);
  trickle = [];
  for (const p of proxies.splice(0)) await p.close();
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function proxy(options: { deadlineMs?: number; timeoutMs?: number; maxConnections?: number }): Promise<string> {
  const socketPath = path.join(dir, `p${proxies.length}-${Date.now()}.sock`);
  proxies.push(await startEgressProxy({ socketPath, identify: () => 'http', allow: () => true, maxResponseBytes: 1_000_000, allowPrivateAddresses: true, ...options }));
  return socketPath;
}

function get(socketPath: string, urlPath: string): { request: http.ClientRequest; answer: Promise<{ status: number; refused: string | undefined; body: string }> } {
  const request = http.request({ socketPath, method: 'GET', path: `http://127.0.0.1:${port}${urlPath}`, headers: { [TOKEN_HEADER]: 'token' } });
  const answer = new Promise<{ status: number; refused: string | undefined; body: string }>((resolve, reject) => {
    request.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, refused: res.headers[REFUSED_HEADER] as string | undefined, body }));
    });
    request.on('error', reject);
  });
  request.end();
  return { request, answer };
}

const openUpstream = () => upstreamSockets.filter((s) => !s.destroyed).length;

describe('egress proxy under abuse', () => {
  it('cuts a trickling upstream at the total deadline and closes the upstream connection', async () => {
    const socketPath = await proxy({ deadlineMs: 1_500, timeoutMs: 60_000 });
    const { answer } = get(socketPath, '/trickle');
    const r = await answer;
    expect(r).toMatchObject({ status: 504, refused: 'deadline' });
    await expect.poll(openUpstream, { timeout: 5_000 }).toBe(0);
  });

  it('destroys the upstream request when the agent-side client goes away', async () => {
    const socketPath = await proxy({ timeoutMs: 60_000, deadlineMs: 60_000 });
    const before = upstreamSockets.length;
    const { request, answer } = get(socketPath, '/hold');
    answer.catch(() => undefined);
    await expect.poll(() => upstreamSockets.length, { timeout: 5_000 }).toBe(before + 1);
    expect(openUpstream()).toBe(1);
    request.destroy();
    await expect.poll(openUpstream, { timeout: 5_000 }).toBe(0);
  });

  it('counts upstream connections against the connection cap', async () => {
    // Cap 4: two held requests use 2 agent-side + 2 upstream connections.
    const socketPath = await proxy({ maxConnections: 4, timeoutMs: 60_000, deadlineMs: 60_000 });
    const held = [get(socketPath, '/hold'), get(socketPath, '/hold')];
    for (const h of held) h.answer.catch(() => undefined);
    await expect.poll(openUpstream, { timeout: 5_000 }).toBe(2);
    const third = await get(socketPath, '/fast').answer;
    expect(third).toMatchObject({ status: 503, refused: 'too_many_connections' });
    for (const h of held) h.request.destroy();
    await expect.poll(openUpstream, { timeout: 5_000 }).toBe(0);
    expect(await get(socketPath, '/fast').answer).toMatchObject({ status: 200, body: 'ok' });
  });
});
