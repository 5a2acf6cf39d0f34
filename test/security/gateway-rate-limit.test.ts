// Rate limiting through the real gateway: a burst from one user is cut at the configured
// allowance, the user gets exactly one "wait N s" message for the whole burst, other users
// carry on, and the buckets live in SQLite so a restart hands out no fresh allowance. Failed
// API authentications are limited per address, for the failing requests only: the right token
// is always served.
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/agents/sandbox.js';
import { TEST_TOKEN, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const noSandbox: Sandbox = {
  agentFor: (conversationId) => ({ conversationId, exec: () => Promise.reject(new Error('no sandbox in this test')) }),
  health: async () => ({ ok: true, backend: 'none', runtime: null, detail: 'test stub' }),
};

const open: TestGateway[] = [];
afterEach(async () => {
  for (const g of open.splice(0).reverse()) await g.close();
});

async function start(rateLimits: Record<string, number>): Promise<TestGateway> {
  const t = await startTestGateway({ config: { security: { rate_limits: rateLimits } }, gatewayOptions: { sandbox: noSandbox } });
  open.push(t);
  return t;
}

const tooFast = (t: TestGateway, conversationIds?: Set<string>) =>
  t.outbound.filter((m) => /too fast/.test(m.text) && (!conversationIds || conversationIds.has(m.conversationId)));

interface AuditRow { type: string; actor: string; details: Record<string, unknown> }

describe('a user over the message limit', () => {
  it('gets the allowance, 429 for the rest, one notice for the burst; others unaffected; survives a restart', async () => {
    const t = await start({ per_user_per_minute: 3 });
    const ids = Array.from({ length: 10 }, (_, i) => `burst-${i}`);
    const results = await Promise.all(ids.map((id, i) => t.api('POST', '/api/messages', { conversation_id: id, user: 'mallory', text: `message ${i}` })));

    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    expect(ok).toHaveLength(3);
    expect(limited).toHaveLength(7);
    for (const r of ok) expect(r.body.status).toBe('completed');
    for (const r of limited) {
      expect(r.body.error.code).toBe('SS_ERR_RATE_LIMITED');
      expect(r.body.error.message).toMatch(/too fast\. Please wait \d+ s/);
    }
    // Refused messages never reached the model or the store.
    expect(t.fake.chatRequests).toHaveLength(3);
    const stored = await Promise.all(limited.map((_, i) => t.api('GET', `/api/conversations/${ids[results.indexOf(limited[i]!)]}/messages`)));
    for (const s of stored) expect(s.status).toBe(404);

    // Exactly one notice for the whole burst, with a sensible wait (one token refills in 20 s).
    const notices = tooFast(t, new Set(ids));
    expect(notices).toHaveLength(1);
    const wait = Number(/wait (\d+) s/.exec(notices[0]!.text)![1]);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(20);

    const audit = await t.api<{ events: AuditRow[] }>('GET', '/api/audit?limit=1000');
    const refusedEvents = audit.body.events.filter((e) => e.type === 'message-rate-limited');
    expect(refusedEvents).toHaveLength(7);
    expect(refusedEvents.every((e) => e.actor === 'api:mallory' && e.details.scope === 'user')).toBe(true);

    // The HTTP answer carries the wait as Retry-After too.
    const raw = await fetch(new URL('/api/messages', t.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ conversation_id: 'burst-raw', user: 'mallory', text: 'one more' }),
    });
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // Another user is not affected.
    const bob = await t.api('POST', '/api/messages', { conversation_id: 'bob-1', user: 'bob', text: 'hello' });
    expect(bob.status).toBe(200);
    expect(bob.body.status).toBe('completed');

    // (t stays in `open`: closing it after t2 removes the fake and the data dir.)
    // A restart on the same data hands out no fresh allowance, and the stretch goes on
    // without a second notice.
    const t2 = await t.restart();
    open.push(t2);
    const again = await t2.api('POST', '/api/messages', { conversation_id: 'burst-after', user: 'mallory', text: 'still there?' });
    expect(again.status).toBe(429);
    expect(tooFast(t2)).toHaveLength(0);
    const bob2 = await t2.api('POST', '/api/messages', { conversation_id: 'bob-2', user: 'bob', text: 'hello again' });
    expect(bob2.status).toBe(200);
  });

  it('the global language-model budget stops turns with a clear reply instead of calling the model', async () => {
    const t = await start({ llm_calls_per_minute: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await t.api('POST', '/api/messages', { conversation_id: `llm-${i}`, user: `u${i}`, text: 'hi' });
      expect(res.body.status).toBe('completed');
    }
    const over = await t.api('POST', '/api/messages', { conversation_id: 'llm-2', user: 'u2', text: 'hi' });
    expect(over.status).toBe(200);
    expect(over.body.status).toBe('failed');
    expect(over.body.reply.text).toMatch(/too many requests/i);
    expect(t.fake.chatRequests).toHaveLength(2);
    expect(t.logs.join('')).toMatch(/SS_ERR_RATE_LIMITED/);
  });
});

describe('failed API authentications', () => {
  it('limit only the failing requests: after 12 wrong tokens the right one is served, the wrong ones get 429 with back-off, also after a restart', async () => {
    const t = await start({ auth_failures_per_minute: 3 });
    expect((await t.api('GET', '/api/audit?limit=1')).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await t.api('GET', '/api/audit?limit=1', undefined, i % 4 === 1 ? null : `wrong-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, ...Array(9).fill(429)]);

    // The right token is served at once, from the same address, however many failures came before.
    expect((await t.api('GET', '/api/audit?limit=1')).status).toBe(200);
    const served = await t.api('POST', '/api/messages', { text: 'hi' });
    expect(served.status).toBe(200);
    expect(t.fake.chatRequests).toHaveLength(1);

    // A wrong token is still limited, and says how long to wait (3 a minute: 20 s each).
    const res = await fetch(new URL('/api/audit?limit=1', t.url), { headers: { authorization: 'Bearer still-wrong' } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBe(20);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('SS_ERR_RATE_LIMITED');
    expect(body.error.message).toMatch(/failed authentication attempts; wait 20 s/);

    const t2 = await t.restart();
    open.push(t2);
    expect((await t2.api('GET', '/api/audit?limit=1', undefined, 'wrong-again')).status).toBe(429);
    expect((await t2.api('GET', '/api/audit?limit=1')).status).toBe(200);
  });
});
