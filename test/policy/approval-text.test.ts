import { describe, expect, it } from 'vitest';
import { parseTerminalDecision, renderApprovalPromptForTerminal } from '../../src/cli/chat/approval-prompt.js';
import type { ApprovalPrompt } from '../../src/core/types.js';
import { buildApprovalPrompt } from '../../src/policy/approval-prompt.js';
import { parseApprovalCommand, renderApprovalMessage, renderApprovalText, sanitizeForDisplay, toDecideInput } from '../../src/policy/approval-text.js';

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

  it('builds prompts from stored approvals showing the beginning and end of long arguments', () => {
    const prompt = buildApprovalPrompt({
      id: 'apr_1', actionId: 'act_1', conversationId: 'c', skill: 'files', operation: 'write',
      canonicalArguments: JSON.stringify({ content: `${'x'.repeat(5000)}THE-END` }), argumentsHash: 'f'.repeat(64),
      securityLevel: 'critical', requester: 'alice', approvers: ['root'], status: 'pending',
      createdAt: new Date(), expiresAt: new Date(),
    });
    expect(prompt.options).toEqual(['approve', 'deny']);
    expect(prompt.detail).toContain('GET /api/approvals/apr_1');
    expect(prompt.detail).toContain('⟨… 3,907 characters not shown …⟩');
    expect(prompt.detail).toContain('xTHE-END"');
    expect(prompt.detail.length).toBeLessThan(1800);
    expect(prompt.fullDetail).toContain(`${'x'.repeat(5000)}THE-END`);
  });
});

describe('whole effect in every text rendering', () => {
  const hidden = `sh -c "echo hello${' '.repeat(3100)}; rm -rf /workspace/*"`;
  const stored = (args: unknown, level: ApprovalPrompt['securityLevel'] = 'high') => buildApprovalPrompt({
    id: 'apr_tail', actionId: 'act_1', conversationId: 'c', skill: 'shell', operation: 'run',
    canonicalArguments: JSON.stringify(args), argumentsHash: 'a'.repeat(64),
    securityLevel: level, requester: 'alice', approvers: ['alice'], status: 'pending',
    createdAt: new Date(), expiresAt: new Date(Date.now() + 60_000),
  });
  const tail = 'echo hello⟨3,100 spaces⟩; rm -rf /workspace/*';

  it('collapses a run of 3,100 spaces into a marker, so the tail shows in the text and terminal prompts', () => {
    const prompt = stored({ argv: ['sh', '-c', hidden.slice(7, -1)] });
    expect(prompt.detail).toContain(tail);
    expect(renderApprovalText(prompt)).toContain(tail);
    expect(renderApprovalPromptForTerminal(prompt)).toContain(tail);
    // Short runs (indentation, two spaces) stay as they are.
    expect(stored({ text: 'a  b        c' }).detail).toContain('"a  b⟨8 spaces⟩c"');
    expect(stored({ text: 'a  b       c' }).detail).toContain('"a  b       c"');
  });

  it('makes invisible characters and bidi overrides in arguments visible, and runs of them countable', () => {
    const prompt = stored({ path: `report\u202etxt.exe${'\u200b'.repeat(500)}` });
    expect(prompt.detail).toContain('report\\u{202e}txt.exe⟨500 × U+200B⟩');
    expect(prompt.detail).not.toMatch(/[\u202e\u200b]/);
  });

  it('keeps the beginning and the end of a detail with very many arguments', () => {
    const argv = Array.from({ length: 400 }, (_, i) => `arg${i}`);
    argv.push('rm -rf /workspace/*');
    const prompt = stored({ argv });
    expect(prompt.detail).toContain('"arg0"');
    expect(prompt.detail).toContain('rm -rf /workspace/*');
    expect(prompt.detail).toMatch(/⟨… [\d,]+ characters not shown …⟩/);
  });

  it('attaches the full request on a platform with a small limit that takes files', () => {
    const prompt = stored({ target: `${'y'.repeat(6000)} && rm -rf /` });
    const rendered = renderApprovalMessage(prompt, { maxLength: 500, canAttach: true });
    expect(rendered.text.length).toBeLessThanOrEqual(500);
    expect(rendered.text).toContain('attached in full');
    expect(rendered.text).toContain('/approve apr_tail');
    expect(rendered.attachment?.filename).toBe('approval-apr_tail.txt');
    expect(rendered.attachment?.content).toContain(`${'y'.repeat(6000)} && rm -rf /`);
  });

  it('says where to decide on a platform with a small limit and no files, and offers no command', () => {
    const prompt = stored({ target: `${'y'.repeat(6000)} && rm -rf /` });
    const rendered = renderApprovalMessage(prompt, { maxLength: 500, decideElsewhere: 'http://127.0.0.1:8787/' });
    expect(rendered.attachment).toBeUndefined();
    expect(rendered.text).toContain('cannot be decided here');
    expect(rendered.text).toContain('http://127.0.0.1:8787/');
    expect(rendered.text).toContain('securesphere approvals');
    expect(rendered.text).not.toContain('/approve apr_tail');
    // Without a limit (or when it fits) it is the ordinary text prompt.
    expect(renderApprovalMessage(prompt).text).toBe(renderApprovalText(prompt));
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
