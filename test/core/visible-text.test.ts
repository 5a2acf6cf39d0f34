// visibleText: no character that drives a terminal or hides text survives; printable text does.
import { describe, expect, it } from 'vitest';
import { hasInvisibleCharacters, visibleText } from '../../src/core/visible-text.js';

describe('visibleText', () => {
  it('turns CSI, OSC and C1 sequences into inert visible text', () => {
    const hostile = 'a\u001b[2Jb\u001b]0;pwned\u0007c\u009b31md\u009d8;;http://x\u009ce\u001bPq\u001b\\';
    const shown = visibleText(hostile);
    expect(shown).toBe('a\\u{1b}[2Jb\\u{1b}]0;pwned\\u{7}c\\u{9b}31md\\u{9d}8;;http://x\\u{9c}e\\u{1b}Pq\\u{1b}\\');
    // Nothing below U+0020, no DEL and no C1 control is left.
    // eslint-disable-next-line no-control-regex
    expect(/[\u0000-\u001f\u007f-\u009f]/.test(shown)).toBe(false);
  });

  it('makes bidi overrides, isolates, marks and zero-width characters visible', () => {
    const chars = ['\u202e', '\u202a', '\u2066', '\u2069', '\u200e', '\u200f', '\u061c', '\u200b', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u2028', '\u2029', '\u3164', '\u{e0041}'];
    for (const ch of chars) {
      const shown = visibleText(`x${ch}y`);
      expect(shown, `U+${ch.codePointAt(0)!.toString(16)}`).toBe(`x\\u{${ch.codePointAt(0)!.toString(16)}}y`);
    }
  });

  it('keeps line feeds and tabs only in multi-line mode; a carriage return never', () => {
    expect(visibleText('a\nb\tc\rd')).toBe('a\\u{a}b\\u{9}c\\u{d}d');
    expect(visibleText('a\nb\tc\rd', { multiline: true })).toBe('a\nb\tc\\u{d}d');
  });

  it('leaves printable text of any script and emoji alone', () => {
    const text = 'café Ünïcödé 日本語 עברית العربية 😀 — “quotes” ⟨3 spaces⟩';
    expect(visibleText(text)).toBe(text);
    expect(hasInvisibleCharacters(text)).toBe(false);
    expect(hasInvisibleCharacters('a\u001b')).toBe(true);
  });

  it('escapes a lone surrogate and accepts non-strings', () => {
    expect(visibleText('a\ud800b')).toBe('a\\u{d800}b');
    expect(visibleText(42)).toBe('42');
  });
});

describe('CLI output uses it', () => {
  it('audit tail lines carry no C1 control, bidi override or zero-width character', async () => {
    const { formatAuditEvent } = await import('../../src/cli/commands/audit.js');
    const line = formatAuditEvent({
      seq: 7, time: '2026-01-01T00:00:00.000Z', type: 'action-requested', actor: 'eve\u202egnp.exe', conversationId: 'c\u009b2J',
      details: { reason: 'x\u200by\u001b[2J' }, prevHash: '0', hash: '1',
    });
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b\u202e]/); // eslint-disable-line no-control-regex
    expect(line).toContain('eve\\u{202e}gnp.exe');
    expect(line).toContain('c\\u{9b}2J');
    expect(line).toContain('x\\u{200b}y');
  });

  it('approvals list shows arguments and names made visible, with the tail of long values', async () => {
    const { formatApprovalList } = await import('../../src/cli/commands/approvals.js');
    const text = formatApprovalList([{
      id: 'apr_1', action_id: 'act_1', conversation_id: 'c', skill: 'shell', operation: 'run', security_level: 'critical', status: 'pending',
      requester: 'mallory\u001b]0;title\u0007', approvers: ['root\u202e'], decided_by: null, decided_at: null, scope: null,
      created_at: '2026-01-01T00:00:00.000Z', expires_at: '2026-01-01T00:10:00.000Z', summary: 's', arguments_hash: 'a'.repeat(64),
      arguments: { argv: ['sh', '-c', `echo hello${' '.repeat(3100)}; rm -rf /workspace/*`] },
    } as never]);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/); // eslint-disable-line no-control-regex
    expect(text).toContain('mallory\\u{1b}]0;title\\u{7}');
    expect(text).toContain('echo hello⟨3,100 spaces⟩; rm -rf /workspace/*');
  });
});
