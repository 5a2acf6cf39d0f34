// Who may approve is checked again when the decision is made, against the config the gateway
// runs with then: an admin removed from policy.admins (gateway restarted with the new config)
// can no longer approve a critical request that was opened while they were one.
import { afterEach, describe, expect, it } from 'vitest';
import { ApiTokenStore } from '../../src/store/api-tokens.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('critical approvals: the admin list is re-checked at decision time', () => {
  const open: TestGateway[] = [];
  afterEach(async () => {
    for (const t of open.splice(0).reverse()) await t.close();
  });

  it('an admin removed from policy.admins (restart with the new config) is refused; a remaining admin approves', async () => {
    const first = await startTestGateway({ config: { policy: { admins: ['api:root', 'api:ops'] }, skills: { enabled: ['calc'] } } });
    // Each admin decides with their own token: the decider is the token's identity.
    const tokens = new ApiTokenStore(first.gateway.db);
    const root = tokens.create({ name: 'root' }).token;
    const ops = tokens.create({ name: 'ops' }).token;
    const asked = await first.api('POST', '/api/actions', { action_type: 'skill_execution', conversation_id: 'conv-admin', skill: 'calc', operation: 'nuke', arguments: { target: 'all' }, requester: 'alice' });
    expect(asked.status).toBe(202);
    const approvalId = asked.body.approval_id as string;
    expect((await first.api('GET', `/api/approvals/${approvalId}`)).body.approval.approvers).toEqual(['api:root', 'api:ops']);
    await first.gateway.close();

    // Same data, same fake model, new config: ops is no longer an admin.
    const second = await startTestGateway({ fake: first.fake, dataDir: first.dataDir, config: { policy: { admins: ['api:root'] }, skills: { enabled: ['calc'] } } });
    open.push(first, second);
    const refused = await second.api('POST', `/api/approvals/${approvalId}/approve`, {}, ops);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('SS_ERR_APPROVAL_NOT_ALLOWED');
    expect((await second.api('GET', `/api/actions/${asked.body.id}`)).body.status).toBe('awaiting_approval');
    expect(second.gateway.audit.list({ limit: 1000 }).filter((e) => e.type === 'approval-refused').map((e) => e.actor)).toEqual(['api:ops']);

    const approved = await second.api('POST', `/api/approvals/${approvalId}/approve`, {}, root);
    expect(approved.status).toBe(200);
    await second.gateway.approvals.settled();
    expect((await second.api('GET', `/api/actions/${asked.body.id}`)).body).toMatchObject({ status: 'succeeded', result: { done: 'nuke', target: 'all' } });
  });
});
