// The approval HTTP routes inside the real API app (auth, error mapping) on a real socket. Each
// person has their own token (`api:<name>`); the decider is always the token's identity.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/app.js';
import { approvalRoutes } from '../../src/api/routes/approvals.js';
import { createApprovalService, type ApprovalService } from '../../src/policy/approval-service.js';
import type { ApprovalRequest } from '../../src/core/types.js';
import { ApiTokenStore } from '../../src/store/api-tokens.js';
import { awaitingAction, openTempStore, policyConfig, RecordingOutbound, type TempStore } from './fakes.js';

const TOKEN = 'test-admin-token-0123456789';

let temp: TempStore;
let app: FastifyInstance;
let base: string;
let service: ApprovalService;
let decided: ApprovalRequest[];
/** One token per person, created in the store like `securesphere tokens create NAME` does. */
let tokens: Record<string, string>;

beforeEach(async () => {
  temp = openTempStore();
  decided = [];
  service = createApprovalService({
    db: temp.db, actions: temp.actions, audit: temp.audit, outbound: new RecordingOutbound(),
    config: policyConfig({ approvers: ['api:bob'], admins: ['api:root'] }), onDecided: (a) => void decided.push(a), onError: () => {},
  });
  const store = new ApiTokenStore(temp.db);
  tokens = Object.fromEntries(['alice', 'bob', 'root', 'eve'].map((name) => [name, store.create({ name }).token]));
  app = createApiApp({ token: TOKEN, tokens: store, bodyLimitBytes: 65_536, logger: pino({ level: 'silent' }), routes: [approvalRoutes(service)] });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  base = address;
});

afterEach(async () => {
  await app.close();
  await service.stop();
  temp.cleanup();
});

// Response bodies are asserted field by field below; `any` keeps those assertions readable.
 
type Json = Record<string, any>;

/** Calls as `who` (a person with a named token, or the operator). */
async function call(method: string, path: string, body?: unknown, who = 'operator') {
  const token = who === 'operator' ? TOKEN : (tokens[who] ?? who);
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, json: (await response.json()) as Json };
}

async function pending(level: 'high' | 'critical' = 'high') {
  const action = awaitingAction(temp, { level, arguments: { command: 'make deploy' }, requester: 'api:alice' });
  const approvers = level === 'critical' ? ['api:root'] : ['api:alice', 'api:bob', 'api:root'];
  const { approval } = await service.open(action, { decision: 'require_approval', level, reason: 'test', approvers }, { channel: 'web' });
  return { action, approval };
}

describe('approval routes', () => {
  it('lists pending approvals with their exact arguments and hash', async () => {
    const { approval } = await pending();
    const listed = await call('GET', '/api/approvals?status=pending');
    expect(listed.status).toBe(200);
    expect(listed.json.approvals).toHaveLength(1);
    expect(listed.json.approvals[0]).toMatchObject({
      id: approval.id, status: 'pending', summary: expect.stringContaining('shell.run needs approval'), skill: 'shell', operation: 'run', arguments: { command: 'make deploy' },
      arguments_hash: approval.argumentsHash, approvers: ['api:alice', 'api:bob', 'api:root'], security_level: 'high',
    });
    expect((await call('GET', '/api/approvals?status=approved')).json.approvals).toHaveLength(0);
    expect((await call('GET', '/api/approvals?status=bogus')).status).toBe(400);
    const one = await call('GET', `/api/approvals/${approval.id}`);
    expect(one.json.prompt.approvalId).toBe(approval.id);
  });

  it('approve: 200 and the action is approved; a second approve is 409; onDecided ran once', async () => {
    const { approval, action } = await pending();
    const first = await call('POST', `/api/approvals/${approval.id}/approve`, {}, 'bob');
    expect(first.status).toBe(200);
    expect(first.json.approval).toMatchObject({ status: 'approved', decided_by: 'api:bob', scope: 'once', channel: 'web' });
    expect(temp.actions.get(action.id)!.status).toBe('approved');
    const second = await call('POST', `/api/approvals/${approval.id}/approve`, {}, 'bob');
    expect(second.status).toBe(409);
    expect(second.json.error.code).toBe('SS_ERR_APPROVAL_ALREADY_DECIDED');
    await service.settled();
    expect(decided).toHaveLength(1);
  });

  it('concurrent approves over HTTP: exactly one 200, the rest 409', async () => {
    const { approval } = await pending();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call('POST', `/api/approvals/${approval.id}/approve`, {}, i % 2 ? 'bob' : 'alice')),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    await service.settled();
    expect(decided).toHaveLength(1);
  });

  it('403 with a clear message for someone who may not approve, and the refusal is audited', async () => {
    const { approval } = await pending();
    const refused = await call('POST', `/api/approvals/${approval.id}/approve`, {}, 'eve');
    expect(refused.status).toBe(403);
    expect(refused.json.error).toMatchObject({ code: 'SS_ERR_APPROVAL_NOT_ALLOWED' });
    expect(refused.json.error.message).toContain('api:eve may not decide');
    expect(temp.audit.list().filter((e) => e.type === 'approval-refused')).toHaveLength(1);
    expect(service.get(approval.id)!.status).toBe('pending');
  });

  it('critical: only an admin; conversation scope rejected with 400', async () => {
    const { approval } = await pending('critical');
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, {}, 'bob')).status).toBe(403);
    // The operator's token is api:operator, not an admin here: it cannot approve a critical step.
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, {})).status).toBe(403);
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, { scope: 'conversation' }, 'root')).status).toBe(400);
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, {}, 'root')).status).toBe(200);
  });

  it('deny: 200 and the action is denied', async () => {
    const { approval, action } = await pending();
    const denied = await call('POST', `/api/approvals/${approval.id}/deny`, { scope: 'once' }, 'alice');
    expect(denied.status).toBe(200);
    expect(denied.json.approval.status).toBe('denied');
    expect(temp.actions.get(action.id)!.status).toBe('denied');
  });

  it('404 for an unknown id; 400 for unknown fields; a name in the body never decides (no field can sneak an approval)', async () => {
    expect((await call('POST', '/api/approvals/apr_missing/approve', {}, 'bob')).status).toBe(404);
    expect((await call('GET', '/api/approvals/apr_missing')).status).toBe(404);
    const { approval, action } = await pending();
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, { approver: '   ' }, 'bob')).status).toBe(400);
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, { approved: true, status: 'approved' }, 'bob')).status).toBe(400);
    expect((await call('POST', `/api/approvals/${approval.id}/deny`, { scope: 'conversation' }, 'bob')).status).toBe(400);
    // The holder of eve's token (or the operator's) writing an approver's name is refused.
    for (const who of ['eve', 'operator']) {
      for (const approver of ['bob', 'api:bob', 'api:root']) {
        const forged = await call('POST', `/api/approvals/${approval.id}/approve`, { approver }, who);
        expect(forged.status, `${who} as ${approver}`).toBe(403);
        expect(forged.json.error.message).toContain("the decider is the token's identity");
      }
    }
    expect(temp.actions.get(action.id)!.status).toBe('awaiting_approval');
    // Naming yourself is accepted (older clients send approver).
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, { approver: 'api:bob' }, 'bob')).status).toBe(200);
  });

  it('a revoked or expired token decides nothing', async () => {
    const { approval, action } = await pending();
    const store = new ApiTokenStore(temp.db);
    store.revoke('bob');
    // Created "an hour ago" with a 1-minute lifetime: expired now.
    const hourAgo = Date.now() - 3_600_000;
    const late = store.create({ name: 'late', expiresAt: hourAgo + 60_000 }, hourAgo);
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, {}, 'bob')).status).toBe(401);
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, {}, late.token)).status).toBe(401);
    expect(temp.actions.get(action.id)!.status).toBe('awaiting_approval');
  });

  it('needs the admin token', async () => {
    const { approval, action } = await pending();
    const response = await call('POST', `/api/approvals/${approval.id}/approve`, {}, 'wrong-token');
    expect(response.status).toBe(401);
    expect(temp.actions.get(action.id)!.status).toBe('awaiting_approval');
  });

  it('grants: created by a conversation-scoped approval, listed, revoked', async () => {
    const { approval } = await pending();
    const approved = await call('POST', `/api/approvals/${approval.id}/approve`, { scope: 'conversation' }, 'bob');
    expect(approved.json.approval.scope).toBe('conversation');
    const listed = await call('GET', '/api/conversations/conv-1/grants');
    expect(listed.json.grants).toHaveLength(1);
    const grant = listed.json.grants[0];
    expect(grant).toMatchObject({ skill: 'shell', operation: 'run', granted_by: 'api:bob', revoked_at: null });
    const revoked = await call('DELETE', `/api/grants/${grant.id}`, undefined, 'root');
    expect(revoked.status).toBe(200);
    expect(revoked.json.grant.revoked_at).not.toBeNull();
    expect(temp.audit.list().filter((e) => e.type === 'grant-revoked')).toMatchObject([{ actor: 'api:root' }]);
    expect((await call('DELETE', '/api/grants/grt_missing')).status).toBe(404);
  });
});
