import { afterEach, describe, expect, it } from 'vitest';
import { ApprovalStore, type NewApproval } from '../../src/store/approvals.js';
import { awaitingAction, openTempStore, type TempStore } from './fakes.js';

const temps: TempStore[] = [];
afterEach(() => {
  while (temps.length) temps.pop()!.cleanup();
});

function setup() {
  const temp = openTempStore();
  temps.push(temp);
  const store = new ApprovalStore(temp.db);
  const action = awaitingAction(temp);
  const now = Date.now();
  const input: NewApproval = {
    id: 'apr_1', actionId: action.id, conversationId: action.conversationId, skill: 'shell', operation: 'run',
    canonicalArguments: '{}', argumentsHash: 'h', securityLevel: 'high', requester: 'alice', approvers: ['alice', 'bob'],
    createdAt: new Date(now), expiresAt: new Date(now + 1000), channel: 'web',
  };
  store.create(input);
  return { temp, store, input, now };
}

describe('approval store', () => {
  it('a decision is a compare-and-set: only the first of two writers wins, even on two connections', () => {
    const { temp, store, now } = setup();
    const second = openTempStore(temp.dir);
    const other = new ApprovalStore(second.db);
    expect(store.decide('apr_1', 'approved', 'bob', now)).toBe(true);
    expect(other.decide('apr_1', 'denied', 'alice', now)).toBe(false);
    expect(store.decide('apr_1', 'expired', null, now + 5000)).toBe(false);
    expect(store.get('apr_1')).toMatchObject({ status: 'approved', decidedBy: 'bob' });
    second.db.close();
  });

  it('approve/deny fail once the expiry time has passed; expiry still succeeds', () => {
    const { store, now } = setup();
    expect(store.due(now)).toHaveLength(0);
    expect(store.due(now + 1000).map((a) => a.id)).toEqual(['apr_1']);
    expect(store.decide('apr_1', 'approved', 'bob', now + 1000)).toBe(false);
    expect(store.decide('apr_1', 'expired', null, now + 1000)).toBe(true);
    expect(store.list('expired').map((a) => a.id)).toEqual(['apr_1']);
    expect(store.list('pending')).toHaveLength(0);
  });

  it('round-trips every field', () => {
    const { store, input } = setup();
    // Against the input, not create()'s return (itself a get()): a dropped or mis-mapped column fails.
    expect(store.get('apr_1')).toStrictEqual({ ...input, status: 'pending' });
    store.setMessage('apr_1', 'telegram', '42');
    expect(store.get('apr_1')).toStrictEqual({ ...input, status: 'pending', channel: 'telegram', platformMessageId: '42' });
    expect(store.byAction(input.actionId).map((a) => a.id)).toEqual(['apr_1']);
  });

  it('grants: active until revoked, per conversation, skill, operation and the person they cover', () => {
    const { store, now } = setup();
    store.createGrant({ id: 'g1', conversationId: 'c', skill: 's', operation: 'o', grantedBy: 'chat:bob', grantedFor: 'chat:alice' }, now);
    expect(store.activeGrant('c', 's', 'o', 'chat:alice')?.id).toBe('g1');
    // Someone else writing in the same (group) conversation is not covered.
    expect(store.activeGrant('c', 's', 'o', 'chat:mallory')).toBeUndefined();
    expect(store.activeGrant('c', 's', 'other', 'chat:alice')).toBeUndefined();
    expect(store.activeGrant('c2', 's', 'o', 'chat:alice')).toBeUndefined();
    expect(store.revokeGrant('g1', now)).toBe(true);
    expect(store.revokeGrant('g1', now)).toBe(false);
    expect(store.activeGrant('c', 's', 'o', 'chat:alice')).toBeUndefined();
    expect(store.grants('c')[0]!.revokedAt).toBeInstanceOf(Date);
  });
});
