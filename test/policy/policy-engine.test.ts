import { describe, expect, it } from 'vitest';
import type { SecurityLevel } from '../../src/core/types.js';
import { createPolicyEngine } from '../../src/policy/policy-engine.js';
import type { PolicyInput } from '../../src/policy/policy-types.js';
import { ApprovalStore, type ConversationGrant, type GrantLookup } from '../../src/store/approvals.js';
import { openTempStore, policyConfig } from './fakes.js';

const noGrants: GrantLookup = { activeGrant: () => undefined };

function input(fields: Partial<PolicyInput> = {}): PolicyInput {
  return {
    skill: 'files',
    operation: 'read',
    declaredLevel: 'low',
    channel: 'web',
    conversationId: 'conv-1',
    userId: 'alice',
    turnFlagged: false,
    ...fields,
  };
}

describe('policy engine: default levels', () => {
  const engine = createPolicyEngine({ config: policyConfig({ approvers: ['bob'], admins: ['root'] }), grants: noGrants });

  it.each<[SecurityLevel, string, unknown]>([
    ['low', 'allow', { notify: false }],
    ['medium', 'allow', { notify: true }],
    ['high', 'require_approval', { approvers: ['alice', 'bob', 'root'] }],
    ['critical', 'require_approval', { approvers: ['root'] }],
  ])('%s → %s', (level, decision, extra) => {
    const result = engine.decide(input({ declaredLevel: level }));
    expect(result.decision).toBe(decision);
    expect(result.level).toBe(level);
    expect(result).toMatchObject(extra as object);
    expect(result.reason.length).toBeGreaterThan(0);
  });

  it('denies critical steps when no admin is configured (nobody could approve them)', () => {
    const lonely = createPolicyEngine({ config: policyConfig(), grants: noGrants });
    const result = lonely.decide(input({ declaredLevel: 'critical' }));
    expect(result.decision).toBe('deny');
    expect(result.reason).toContain('policy.admins');
  });

  it.each<[SecurityLevel, SecurityLevel]>([
    ['low', 'medium'],
    ['medium', 'high'],
    ['high', 'critical'],
    ['critical', 'critical'],
  ])('a flagged turn raises %s to %s', (declared, raised) => {
    const result = engine.decide(input({ declaredLevel: declared, turnFlagged: true }));
    expect(result.level).toBe(raised);
    expect(result.reason).toContain('injection');
  });
});

describe('policy engine: operator overrides', () => {
  const config = policyConfig({
    approvers: ['bob'],
    admins: ['root'],
    overrides: [
      { skill: 'shell', level: 'high' },
      { skill: 'shell', operation: 'run', level: 'critical' },
      { skill: 'shell', operation: 'run', user: 'trusted', level: 'medium' },
      { skill: 'files', channel: 'telegram', level: 'high' },
      { conversation: 'conv-lab', skill: 'files', level: 'medium' },
      { skill: 'http', channel: 'discord', deny: true, reason: 'http is disabled on discord' },
      { skill: 'danger', deny: true },
      { user: 'mallory', deny: true },
      { operation: 'delete', level: 'critical' },
    ],
  });
  const engine = createPolicyEngine({ config, grants: noGrants });

  it.each<[string, Partial<PolicyInput>, string, SecurityLevel]>([
    ['skill override beats the manifest (raise)', { skill: 'shell', operation: 'ls', declaredLevel: 'low' }, 'require_approval', 'high'],
    ['skill+operation beats skill', { skill: 'shell', operation: 'run', declaredLevel: 'low' }, 'require_approval', 'critical'],
    ['skill+operation+user beats skill+operation (lower)', { skill: 'shell', operation: 'run', userId: 'trusted', declaredLevel: 'critical' }, 'allow', 'medium'],
    ['channel override', { skill: 'files', channel: 'telegram', declaredLevel: 'low' }, 'require_approval', 'high'],
    ['conversation override lowers a manifest level', { skill: 'files', conversationId: 'conv-lab', declaredLevel: 'high' }, 'allow', 'medium'],
    ['operation-only override applies to any skill', { skill: 'workspace', operation: 'delete', declaredLevel: 'low' }, 'require_approval', 'critical'],
    ['no matching override: manifest level', { skill: 'files', operation: 'write', declaredLevel: 'medium' }, 'allow', 'medium'],
  ])('%s', (_name, fields, decision, level) => {
    const result = engine.decide(input(fields));
    expect(result.decision).toBe(decision);
    expect(result.level).toBe(level);
  });

  it('deny rules win over everything, even over a more specific level override', () => {
    expect(engine.decide(input({ skill: 'http', operation: 'get', channel: 'discord', declaredLevel: 'low' }))).toMatchObject({
      decision: 'deny',
      reason: 'http is disabled on discord',
    });
    expect(engine.decide(input({ skill: 'http', operation: 'get', channel: 'web', declaredLevel: 'low' })).decision).toBe('allow');
    expect(engine.decide(input({ skill: 'danger', declaredLevel: 'low' })).decision).toBe('deny');
    expect(engine.decide(input({ skill: 'shell', operation: 'run', userId: 'mallory', declaredLevel: 'low' })).decision).toBe('deny');
  });

  it('a flagged turn raises the overridden level, not the declared one', () => {
    const result = engine.decide(input({ skill: 'shell', operation: 'run', userId: 'trusted', declaredLevel: 'low', turnFlagged: true }));
    expect(result).toMatchObject({ decision: 'require_approval', level: 'high' });
  });

  it('the most specific override wins even when it comes FIRST in the list (not "last match wins")', () => {
    const specificFirst = createPolicyEngine({
      config: policyConfig({
        admins: ['root'],
        overrides: [
          { skill: 'shell', operation: 'run', user: 'trusted', level: 'medium' },
          { skill: 'shell', operation: 'run', level: 'critical' },
          { skill: 'shell', level: 'high' },
        ],
      }),
      grants: noGrants,
    });
    expect(specificFirst.decide(input({ skill: 'shell', operation: 'run', userId: 'trusted', declaredLevel: 'low' }))).toMatchObject({ decision: 'allow', level: 'medium' });
    expect(specificFirst.decide(input({ skill: 'shell', operation: 'run', userId: 'alice', declaredLevel: 'low' })).level).toBe('critical');
    expect(specificFirst.decide(input({ skill: 'shell', operation: 'ls', declaredLevel: 'low' })).level).toBe('high');
  });

  it('on equal specificity the later rule wins', () => {
    const tie = createPolicyEngine({
      config: policyConfig({ overrides: [{ skill: 'files', level: 'high' }, { skill: 'files', level: 'low' }] }),
      grants: noGrants,
    });
    expect(tie.decide(input({ declaredLevel: 'medium' })).level).toBe('low');
  });

  it('treats model-supplied names such as __proto__ as plain strings that match nothing', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype']) {
      const asSkill = engine.decide(input({ skill: name, operation: name, declaredLevel: 'medium' }));
      expect(asSkill).toMatchObject({ decision: 'allow', level: 'medium' });
      const asUser = engine.decide(input({ userId: name, conversationId: name, channel: name, declaredLevel: 'low' }));
      expect(asUser).toMatchObject({ decision: 'allow', level: 'low' });
    }
    // Object.prototype must not have been touched by any of the above.
    expect(({} as Record<string, unknown>).level).toBeUndefined();
  });

  it('treats an unknown declared level as critical', () => {
    const result = engine.decide(input({ declaredLevel: 'whatever' as SecurityLevel }));
    expect(result.level).toBe('critical');
  });

  it('is not affected by mutating the config object after creation', () => {
    const mutable = policyConfig({ overrides: [{ skill: 'files', level: 'high' }] });
    const frozenEngine = createPolicyEngine({ config: mutable, grants: noGrants });
    mutable.overrides.push({ skill: 'files', deny: true });
    expect(frozenEngine.decide(input()).decision).toBe('require_approval');
  });
});

describe('policy engine: conversation grants', () => {
  it('a grant for the same skill+operation in the same conversation turns require_approval into allow', () => {
    const grant: ConversationGrant = { id: 'grt_1', conversationId: 'conv-1', skill: 'shell', operation: 'run', grantedBy: 'bob', createdAt: new Date() };
    const grants: GrantLookup = {
      activeGrant: (c, s, o) => (c === grant.conversationId && s === grant.skill && o === grant.operation ? grant : undefined),
    };
    const engine = createPolicyEngine({ config: policyConfig({ admins: ['root'] }), grants });
    expect(engine.decide(input({ skill: 'shell', operation: 'run', declaredLevel: 'high' }))).toMatchObject({ decision: 'allow', notify: true });
    expect(engine.decide(input({ skill: 'shell', operation: 'other', declaredLevel: 'high' })).decision).toBe('require_approval');
    expect(engine.decide(input({ skill: 'shell', operation: 'run', conversationId: 'conv-2', declaredLevel: 'high' })).decision).toBe('require_approval');
    // Never for critical, whether declared critical or raised to it by a flagged turn.
    expect(engine.decide(input({ skill: 'shell', operation: 'run', declaredLevel: 'critical' })).decision).toBe('require_approval');
    expect(engine.decide(input({ skill: 'shell', operation: 'run', declaredLevel: 'high', turnFlagged: true })).decision).toBe('require_approval');
  });

  it('reads grants from the real store, and a revoked grant no longer applies', () => {
    const temp = openTempStore();
    try {
      const store = new ApprovalStore(temp.db);
      const engine = createPolicyEngine({ config: policyConfig(), grants: store });
      const highShell = input({ skill: 'shell', operation: 'run', declaredLevel: 'high' });
      expect(engine.decide(highShell).decision).toBe('require_approval');
      store.createGrant({ id: 'grt_a', conversationId: 'conv-1', skill: 'shell', operation: 'run', grantedBy: 'bob', grantedFor: 'alice' }, Date.now());
      expect(engine.decide(highShell).decision).toBe('allow');
      // The grant covers alice's requests, not another person's in the same conversation.
      expect(engine.decide({ ...highShell, userId: 'mallory' }).decision).toBe('require_approval');
      expect(store.revokeGrant('grt_a', Date.now())).toBe(true);
      expect(engine.decide(highShell).decision).toBe('require_approval');
    } finally {
      temp.cleanup();
    }
  });
});
