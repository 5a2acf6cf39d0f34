// DNS rebinding and cross-site requests against the real gateway on a real socket: a
// loopback-bound gateway answers only a Host naming loopback on its own port (or a name in
// server.allowed_hosts), and the web page's data routes refuse a foreign Origin. Requests go
// through node:http because fetch does not let a caller set Host.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/agents/sandbox.js';
import { turns } from '../fakes/ollama-server.js';
import { TEST_TOKEN, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const noSandbox: Sandbox = {
  agentFor: (conversationId) => ({ conversationId, exec: () => Promise.reject(new Error('no sandbox in this test')) }),
  health: async () => ({ ok: true, backend: 'none', runtime: null, detail: 'test stub' }),
};

const open: TestGateway[] = [];
afterEach(async () => {
  for (const g of open.splice(0).reverse()) await g.close();
});

async function start(server: Record<string, unknown> = {}): Promise<TestGateway> {
  const t = await startTestGateway({ config: { server }, gatewayOptions: { sandbox: noSandbox } });
  open.push(t);
  return t;
}

interface Answer {
  status: number;
  body: string;
}

function send(t: TestGateway, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        setHost: false,
        headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const storedMessages = (t: TestGateway): number => t.gateway.db.prepare('SELECT count(*) FROM messages').pluck().get() as number;

describe('Host check on a loopback-bound gateway', () => {
  it('answers loopback names on its own port, refuses any other Host with 421 and processes nothing', async () => {
    const t = await start();
    const port = new URL(t.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect((await send(t, 'GET', '/api/health', { host })).status, host).toBe(200);
    }
    const before = storedMessages(t);
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`, `localhost.:${port}`, '127.0.0.1:1', 'localhost', '']) {
      const page = await send(t, 'GET', '/', { host });
      expect(page.status, `GET / with Host ${host}`).toBe(421);
      const res = await send(t, 'POST', '/api/messages', { host }, { text: 'hello' });
      expect(res.status, `POST with Host ${host}`).toBe(421);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'SS_ERR_HOST_NOT_ALLOWED' } });
    }
    expect(storedMessages(t)).toBe(before);
    expect(t.fake.chatRequests).toHaveLength(0);
    // A refused Host is not an authentication failure: it uses up nobody's allowance.
    expect(t.gateway.db.prepare("SELECT count(*) FROM rate_buckets WHERE key LIKE '[\"auth\"%'").pluck().get()).toBe(0);
  });

  it('also answers the names listed in server.allowed_hosts', async () => {
    const t = await start({ allowed_hosts: ['chat.internal', 'proxy.internal:8443'] });
    expect((await send(t, 'GET', '/api/health', { host: 'chat.internal' })).status).toBe(200);
    expect((await send(t, 'GET', '/api/health', { host: 'Chat.Internal:443' })).status).toBe(200);
    expect((await send(t, 'GET', '/api/health', { host: 'proxy.internal:8443' })).status).toBe(200);
    expect((await send(t, 'GET', '/api/health', { host: 'proxy.internal:8444' })).status).toBe(421);
    expect((await send(t, 'GET', '/api/health', { host: 'other.internal' })).status).toBe(421);
  });
});

describe('the web data routes /api/web/*', () => {
  it('refuse a foreign Origin or a cross-site fetch, and accept the own origin or no Origin', async () => {
    const t = await start();
    const own = new URL(t.url).host;
    const message = (id: string) => ({ conversation_id: 'web-origin', text: `hi ${id}`, client_message_id: id });
    const before = storedMessages(t);
    for (const headers of <Array<Record<string, string>>>[
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: `http://${own}.evil.example` },
      { origin: `http://localhost:${Number(new URL(t.url).port) + 1}` },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ]) {
      const res = await send(t, 'POST', '/api/web/messages', { host: own, ...headers }, message('refused'));
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'SS_ERR_ORIGIN_NOT_ALLOWED' } });
    }
    // A no-cors GET sends no Origin, but a browser says cross-site.
    expect((await send(t, 'GET', '/api/web/events?conversation_id=web-origin', { host: own, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(storedMessages(t)).toBe(before);

    t.fake.enqueue(turns.text('one'), turns.text('two'));
    const fromPage = await send(t, 'POST', '/api/web/messages', { host: own, origin: `http://${own}`, 'sec-fetch-site': 'same-origin' }, message('page'));
    expect(fromPage.status).toBe(202);
    const fromScript = await send(t, 'POST', '/api/web/messages', { host: own }, message('script'));
    expect(fromScript.status).toBe(202);
    expect(storedMessages(t)).toBeGreaterThan(before);
  });
});
