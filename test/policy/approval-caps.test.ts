// Approvals and direct actions under abuse, through the real gateway: waiting approval requests
// are capped per conversation (policy.max_pending_approvals_per_conversation, default 25) and
// per identity (…_per_identity); past a cap the step is refused (429 on the API, a tool result
// the model reads in a turn) and audited; POST /api/actions is rate limited like messages.
import { afterEach, describe, expect, it } from 'vitest';
import { ApiTokenStore } from '../../src/store/api-tokens.js';
import { turns } from '../fakes/ollama-server.js';
import { TEST_TOKEN, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const open: TestGateway[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

async function gateway(config: Record<string, unknown> = {}): Promise<TestGateway> {
  const t = await startTestGateway({ config: { policy: { approvers: ['api:bob'], admins: ['api:root'] }, ...config } });
  open.push(t);
  return t;
}

const wipe = (t: TestGateway, conversation: string, requester: string, target: string) =>
  t.api('POST', '/api/actions', { action_type: 'skill_execution', conversation_id: conversation, skill: 'calc', operation: 'wipe', arguments: { target }, requester });

const pendingIn = async (t: TestGateway, conversation: string) =>
  ((await t.api('GET', '/api/approvals?status=pending')).body.approvals as Array<{ conversation_id: string }>).filter((a) => a.conversation_id === conversation).length;

describe('caps on waiting approval requests', () => {
  it('the 26th pending approval in a conversation is refused (default cap 25); deciding one makes room', async () => {
    const t = await gateway();
    const first = [];
    for (let i = 0; i < 25; i++) {
      const r = await wipe(t, 'cap-conv', `user-${i}`, `t${i}`);
      expect(r.status).toBe(202);
      first.push(r.body);
    }
    const refused = await wipe(t, 'cap-conv', 'user-25', 't25');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatch(/too many approval requests are already waiting, 25 in this conversation/);
    expect(await pendingIn(t, 'cap-conv')).toBe(25);
    expect(t.gateway.audit.list({ limit: 1000 }).filter((e) => e.type === 'approval-cap-reached')).toHaveLength(1);
    // Another conversation is not affected.
    expect((await wipe(t, 'cap-other', 'user-0', 'x')).status).toBe(202);

    // Decided with bob's own token: the decider is the token's identity.
    const bob = new ApiTokenStore(t.gateway.db).create({ name: 'bob' }).token;
    expect((await t.api('POST', `/api/approvals/${first[0].approval_id}/deny`, {}, bob)).status).toBe(200);
    await t.gateway.approvals.settled();
    expect((await wipe(t, 'cap-conv', 'user-25', 't25')).status).toBe(202);
  });

  it('caps the requests one identity has waiting across conversations', async () => {
    const t = await gateway({ policy: { approvers: ['bob'], admins: ['root'], max_pending_approvals_per_identity: 3 } });
    for (let i = 0; i < 3; i++) expect((await wipe(t, `id-conv-${i}`, 'alice', 'x')).status).toBe(202);
    const refused = await wipe(t, 'id-conv-9', 'alice', 'x');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatch(/3 from api:alice \(the limit is 3\)/);
    expect((await wipe(t, 'id-conv-9', 'carol', 'x')).status).toBe(202);
  });

  it('the model is told, as a tool result, when a reply asks for more approvals than the cap allows', async () => {
    const t = await gateway({ policy: { approvers: ['bob'], admins: ['root'], max_pending_approvals_per_conversation: 2 } });
    t.fake.enqueue(turns.toolCalls([1, 2, 3].map((i) => ({ name: 'calc_wipe', arguments: { target: `t${i}` } }))));
    const res = await t.api('POST', '/api/messages', { conversation_id: 'cap-model', user: 'alice', text: 'wipe three things' });
    expect(res.body.status).toBe('awaiting_approval');
    expect(res.body.pending_approvals).toHaveLength(2);
    expect(await pendingIn(t, 'cap-model')).toBe(2);
    const history = (await t.api('GET', '/api/conversations/cap-model/messages')).body.messages as Array<{ role: string; content: string }>;
    const told = history.filter((m) => m.role === 'tool');
    expect(told).toHaveLength(1);
    expect(told[0]!.content).toMatch(/Not requested: too many approval requests are already waiting, 2 in this conversation/);
  });
});

describe('POST /api/actions is rate limited like messages', () => {
  it('answers 429 with Retry-After once the per-user budget is spent, and runs nothing more', async () => {
    const t = await gateway({ security: { rate_limits: { per_user_per_minute: 3, per_conversation_per_minute: 100, per_channel_per_minute: 100, llm_calls_per_minute: 100 } } });
    const add = { action_type: 'skill_execution', conversation_id: 'rate-actions', skill: 'calc', operation: 'add', arguments: { a: 1, b: 2 }, requester: 'flood' };
    for (let i = 0; i < 3; i++) expect((await t.api('POST', '/api/actions', add)).status).toBe(200);
    const res = await fetch(new URL('/api/actions', t.url), { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(add) });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SS_ERR_RATE_LIMITED');
    const events = t.gateway.audit.list({ limit: 1000 });
    expect(events.filter((e) => e.type === 'action-requested')).toHaveLength(3);
    expect(events.filter((e) => e.type === 'action-rate-limited')).toHaveLength(1);
  });
});
