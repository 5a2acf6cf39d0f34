import { describe, expect, it } from 'vitest';
import { parseTerminalDecision, renderApprovalPromptForTerminal } from '../../src/cli/chat/approval-prompt.js';
import type { ApprovalPrompt } from '../../src/core/types.js';
import { buildApprovalPrompt } from '../../src/policy/approval-prompt.js';
import { parseApprovalCommand, renderApprovalText, sanitizeForDisplay, toDecideInput } from '../../src/policy/approval-text.js';

const base: ApprovalPrompt = {
  approvalId: 'apr_abc123',
  summary: 'shell.run needs approval (high), requested by alice',
  detail: 'shell.run with arguments:\n{\n  "command": "ls"\n}',
  securityLevel: 'high',
  approvers: ['alice', 'bob'],
  expiresAt: new Date('2026-01-01T00:10:00Z'),
  options: ['approve', 'deny', 'allow_conversation'],
};

describe('text fallback commands', () => {
  it.each([
    ['/approve apr_abc123', { approvalId: 'apr_abc123', decision: 'approve' }],
    ['  /APPROVE   apr_abc123  ', { approvalId: 'apr_abc123', decision: 'approve' }],
    ['/deny apr_abc123', { approvalId: 'apr_abc123', decision: 'deny' }],
    ['/allow apr_abc123', { approvalId: 'apr_abc123', decision: 'allow_conversation' }],
    ['/approve@SecureSphereBot apr_abc123', { approvalId: 'apr_abc123', decision: 'approve' }],
  ])('parses %j', (text, expected) => {
    expect(parseApprovalCommand(text)).toEqual(expected);
  });

  it.each([
    'please /approve apr_abc123',
    '/approve apr_abc123 and also /deny apr_other',
    '/approve',
    '/approve apr abc',
    'approve apr_abc123',
    '/approved apr_abc123',
    '/approve apr_abc123\n/approve apr_x',
    `/approve ${'a'.repeat(101)}`,
  ])('ignores %j (only a message that is just the command counts)', (text) => {
    expect(parseApprovalCommand(text)).toBeUndefined();
  });

  it('maps channel decisions onto decide() input, the decider coming from the platform, never the text', () => {
    expect(toDecideInput({ approvalId: 'apr_1', decision: 'allow_conversation', userId: 'u1', channel: 'slack' })).toEqual({
      approvalId: 'apr_1', approver: 'u1', decision: 'approve', scope: 'conversation', channel: 'slack',
    });
    expect(toDecideInput({ approvalId: 'apr_1', decision: 'deny', userId: 'u1', channel: 'slack' })).toMatchObject({ decision: 'deny', scope: 'once' });
  });
});

describe('text rendering', () => {
  it('shows the level, the exact arguments, who may approve, the expiry and every command', () => {
    const text = renderApprovalText(base);
    expect(text).toContain('[high]');
    expect(text).toContain('"command": "ls"');
    expect(text).toContain('Who may approve: alice, bob');
    expect(text).toContain('2026-01-01T00:10:00.000Z');
    expect(text).toContain('/approve apr_abc123');
    expect(text).toContain('/allow apr_abc123');
    expect(text).toContain('/deny apr_abc123');
  });

  it('does not offer /allow for a critical prompt', () => {
    const text = renderApprovalText({ ...base, securityLevel: 'critical', options: ['approve', 'deny'] });
    expect(text).not.toContain('/allow');
  });

  it('shows the decision in place of the commands once decided', () => {
    const at = new Date('2026-01-01T00:05:00Z');
    expect(renderApprovalText({ ...base, outcome: { status: 'approved', by: 'bob', at } })).toContain('Approved by bob at 2026-01-01T00:05:00.000Z');
    expect(renderApprovalText({ ...base, outcome: { status: 'denied', by: 'bob', at } })).toContain('did not run');
    const expired = renderApprovalText({ ...base, outcome: { status: 'expired', at } });
    expect(expired).toContain('Expired');
    expect(expired).not.toContain('/approve');
  });

  it('neutralises terminal escapes and bidi overrides from model-supplied text', () => {
    const hostile = 'ls\u001b[2K\u001b[1Arm -rf /\u202eevil';
    const safe = sanitizeForDisplay(hostile);
    expect(safe.includes('\u001b') || safe.includes('\u202e')).toBe(false);
    expect(safe).toContain('\\u{1b}');
    const text = renderApprovalText({ ...base, detail: hostile });
    expect(text).not.toContain('\u001b');
    expect(renderApprovalPromptForTerminal({ ...base, detail: hostile })).not.toContain('\u001b');
  });

  it('builds prompts from stored approvals, cutting very long arguments with a pointer to the API', () => {
    const prompt = buildApprovalPrompt({
      id: 'apr_1', actionId: 'act_1', conversationId: 'c', skill: 'files', operation: 'write',
      canonicalArguments: JSON.stringify({ content: 'x'.repeat(5000) }), argumentsHash: 'f'.repeat(64),
      securityLevel: 'critical', requester: 'alice', approvers: ['root'], status: 'pending',
      createdAt: new Date(), expiresAt: new Date(),
    });
    expect(prompt.options).toEqual(['approve', 'deny']);
    expect(prompt.detail).toContain('GET /api/approvals/apr_1');
    expect(prompt.detail.length).toBeLessThan(3300);
  });
});

describe('terminal rendering and answers', () => {
  it('renders the prompt with its choices and time left, plain by default', () => {
    const text = renderApprovalPromptForTerminal(base, { now: new Date('2026-01-01T00:00:00Z') });
    expect(text).toContain('Approval needed [HIGH] apr_abc123');
    expect(text).toContain('  | {');
    expect(text).toContain('in 10 min');
    expect(text).toContain('[y] approve once  [a] allow for this conversation  [n] deny');
    expect(text).not.toContain('\u001b');
    expect(renderApprovalPromptForTerminal(base, { color: true })).toContain('\u001b[31mHIGH');
  });

  it('renders the outcome after the decision', () => {
    const text = renderApprovalPromptForTerminal({ ...base, outcome: { status: 'denied', by: 'bob', at: new Date(0) } });
    expect(text).toContain('Denied by bob');
    expect(text).not.toContain('[y]');
  });

  it.each([
    ['y', 'approve'], ['YES', 'approve'], ['n', 'deny'], [' no ', 'deny'], ['a', 'allow_conversation'],
    ['always', 'allow_conversation'], ['/approve apr_abc123', 'approve'], ['/deny apr_abc123', 'deny'],
  ])('reads %j as %s', (line, decision) => {
    expect(parseTerminalDecision(line, base)).toBe(decision);
  });

  it('asks again for anything else, for another approval id, and for "a" on a critical prompt', () => {
    for (const line of ['', 'maybe', 'yy', '/approve apr_other']) expect(parseTerminalDecision(line, base)).toBeUndefined();
    const critical: ApprovalPrompt = { ...base, securityLevel: 'critical', options: ['approve', 'deny'] };
    expect(parseTerminalDecision('a', critical)).toBeUndefined();
    expect(renderApprovalPromptForTerminal(critical)).not.toContain('[a]');
  });
});
