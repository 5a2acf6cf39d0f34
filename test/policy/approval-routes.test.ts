// The approval HTTP routes inside the real API app (auth, error mapping) on a real socket.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/app.js';
import { approvalRoutes } from '../../src/api/routes/approvals.js';
import { createApprovalService, type ApprovalService } from '../../src/policy/approval-service.js';
import type { ApprovalRequest } from '../../src/core/types.js';
import { awaitingAction, openTempStore, policyConfig, RecordingOutbound, type TempStore } from './fakes.js';

const TOKEN = 'test-admin-token-0123456789';

let temp: TempStore;
let app: FastifyInstance;
let base: string;
let service: ApprovalService;
let decided: ApprovalRequest[];

beforeEach(async () => {
  temp = openTempStore();
  decided = [];
  service = createApprovalService({
    db: temp.db, actions: temp.actions, audit: temp.audit, outbound: new RecordingOutbound(),
    config: policyConfig({ approvers: ['bob'], admins: ['root'] }), onDecided: (a) => void decided.push(a), onError: () => {},
  });
  app = createApiApp({ token: TOKEN, bodyLimitBytes: 65_536, logger: pino({ level: 'silent' }), routes: [approvalRoutes(service)] });
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

async function call(method: string, path: string, body?: unknown, token = TOKEN) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, json: (await response.json()) as Json };
}

async function pending(level: 'high' | 'critical' = 'high') {
  const action = awaitingAction(temp, { level, arguments: { command: 'make deploy' } });
  const approvers = level === 'critical' ? ['root'] : ['alice', 'bob', 'root'];
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
      arguments_hash: approval.argumentsHash, approvers: ['alice', 'bob', 'root'], security_level: 'high',
    });
    expect((await call('GET', '/api/approvals?status=approved')).json.approvals).toHaveLength(0);
    expect((await call('GET', '/api/approvals?status=bogus')).status).toBe(400);
    const one = await call('GET', `/api/approvals/${approval.id}`);
    expect(one.json.prompt.approvalId).toBe(approval.id);
  });

  it('approve: 200 and the action is approved; a second approve is 409; onDecided ran once', async () => {
    const { approval, action } = await pending();
    const first = await call('POST', `/api/approvals/${approval.id}/approve`, { approver: 'bob' });
    expect(first.status).toBe(200);
    expect(first.json.approval).toMatchObject({ status: 'approved', decided_by: 'bob', scope: 'once', channel: 'web' });
    expect(temp.actions.get(action.id)!.status).toBe('approved');
    const second = await call('POST', `/api/approvals/${approval.id}/approve`, { approver: 'bob' });
    expect(second.status).toBe(409);
    expect(second.json.error.code).toBe('SS_ERR_APPROVAL_ALREADY_DECIDED');
    await service.settled();
    expect(decided).toHaveLength(1);
  });

  it('concurrent approves over HTTP: exactly one 200, the rest 409', async () => {
    const { approval } = await pending();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call('POST', `/api/approvals/${approval.id}/approve`, { approver: i % 2 ? 'bob' : 'alice' })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    await service.settled();
    expect(decided).toHaveLength(1);
  });

  it('403 with a clear message for someone who may not approve, and the refusal is audited', async () => {
    const { approval } = await pending();
    const refused = await call('POST', `/api/approvals/${approval.id}/approve`, { approver: 'eve' });
    expect(refused.status).toBe(403);
    expect(refused.json.error).toMatchObject({ code: 'SS_ERR_APPROVAL_NOT_ALLOWED' });
    expect(refused.json.error.message).toContain('eve may not decide');
    expect(temp.audit.list().filter((e) => e.type === 'approval-refused')).toHaveLength(1);
    expect(service.get(approval.id)!.status).toBe('pending');
  });

  it('critical: only an admin; conversation scope rejected with 400', async () => {
    const { approval } = await pending('critical');
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, { approver: 'bob' })).status).toBe(403);
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, { approver: 'root', scope: 'conversation' })).status).toBe(400);
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, { approver: 'root' })).status).toBe(200);
  });

  it('deny: 200 and the action is denied', async () => {
    const { approval, action } = await pending();
    const denied = await call('POST', `/api/approvals/${approval.id}/deny`, { approver: 'alice', scope: 'once' });
    expect(denied.status).toBe(200);
    expect(denied.json.approval.status).toBe('denied');
    expect(temp.actions.get(action.id)!.status).toBe('denied');
  });

  it('404 for an unknown id; 400 for a missing approver or unknown fields (no field can sneak an approval)', async () => {
    expect((await call('POST', '/api/approvals/apr_missing/approve', { approver: 'bob' })).status).toBe(404);
    expect((await call('GET', '/api/approvals/apr_missing')).status).toBe(404);
    const { approval, action } = await pending();
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, {})).status).toBe(400);
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, { approver: '   ' })).status).toBe(400);
    expect((await call('POST', `/api/approvals/${approval.id}/approve`, { approver: 'eve', approved: true, status: 'approved' })).status).toBe(400);
    expect((await call('POST', `/api/approvals/${approval.id}/deny`, { approver: 'bob', scope: 'conversation' })).status).toBe(400);
    expect(temp.actions.get(action.id)!.status).toBe('awaiting_approval');
  });

  it('needs the admin token', async () => {
    const { approval, action } = await pending();
    const response = await call('POST', `/api/approvals/${approval.id}/approve`, { approver: 'bob' }, 'wrong-token');
    expect(response.status).toBe(401);
    expect(temp.actions.get(action.id)!.status).toBe('awaiting_approval');
  });

  it('grants: created by a conversation-scoped approval, listed, revoked', async () => {
    const { approval } = await pending();
    const approved = await call('POST', `/api/approvals/${approval.id}/approve`, { approver: 'bob', scope: 'conversation' });
    expect(approved.json.approval.scope).toBe('conversation');
    const listed = await call('GET', '/api/conversations/conv-1/grants');
    expect(listed.json.grants).toHaveLength(1);
    const grant = listed.json.grants[0];
    expect(grant).toMatchObject({ skill: 'shell', operation: 'run', granted_by: 'bob', revoked_at: null });
    const revoked = await call('DELETE', `/api/grants/${grant.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.json.grant.revoked_at).not.toBeNull();
    expect(temp.audit.list().filter((e) => e.type === 'grant-revoked')).toHaveLength(1);
    expect((await call('DELETE', '/api/grants/grt_missing')).status).toBe(404);
  });
});
