import { describe, expect, it } from 'vitest';
import { createSecretRedactor } from '../../src/security/secret-redactor.js';

describe('secret redactor', () => {
  it('replaces every occurrence anywhere in a string', () => {
    const r = createSecretRedactor(['hunter22']);
    expect(r.redact('pw=hunter22;again:hunter22hunter22')).toBe('pw=[REDACTED];again:[REDACTED][REDACTED]');
    expect(r.redact('nothing here')).toBe('nothing here');
  });

  it('ignores values shorter than 4 characters', () => {
    const r = createSecretRedactor(['abc', '']);
    expect(r.size).toBe(0);
    expect(r.redact('abc abc')).toBe('abc abc');
  });

  it('prefers the longest secret sharing a prefix', () => {
    const r = createSecretRedactor(['token', 'token-long-version']);
    expect(r.redact('a token-long-version b token c')).toBe('a [REDACTED] b [REDACTED] c');
  });

  it('also catches base64 and URL-encoded forms', () => {
    const r = createSecretRedactor(['p@ss word/1']);
    expect(r.redact(`q=${encodeURIComponent('p@ss word/1')}`)).toBe('q=[REDACTED]');
    expect(r.redact(`Basic ${Buffer.from('p@ss word/1').toString('base64')}`)).not.toContain(Buffer.from('p@ss word/1').toString('base64').slice(0, 8));
  });

  it('catches the JSON-escaped form inside a serialised log line', () => {
    const secret = 'quote"back\\slash';
    const r = createSecretRedactor([secret]);
    const line = JSON.stringify({ msg: 'oops', value: `x${secret}y` });
    expect(r.redact(line)).toBe('{"msg":"oops","value":"x[REDACTED]y"}');
  });

  it('redactDeep copies: strings, keys, arrays, nested; no mutation; cycles and bytes are safe', () => {
    const r = createSecretRedactor(['s3cr3t-value']);
    const input: Record<string, unknown> = { a: 's3cr3t-value', b: [1, { c: 'x s3cr3t-value y' }], 's3cr3t-value': true, n: null, d: 5 };
    input.self = input;
    input.bytes = Buffer.from('s3cr3t-value');
    const out = r.redactDeep(input) as Record<string, unknown>;
    expect(out.a).toBe('[REDACTED]');
    expect(out.b).toEqual([1, { c: 'x [REDACTED] y' }]);
    expect(out['[REDACTED]']).toBe(true);
    expect(out.self).toBe('[Circular]');
    expect(out.bytes).toBe('[12 bytes]');
    expect(out.d).toBe(5);
    expect(input.a).toBe('s3cr3t-value');
    expect(JSON.stringify(out)).not.toContain('s3cr3t');
  });

  it('keeps a hostile __proto__ key as a plain property', () => {
    const r = createSecretRedactor(['zzzz-secret']);
    const out = r.redactDeep(JSON.parse('{"__proto__": {"polluted": "zzzz-secret"}}')) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: '[REDACTED]' });
  });

  it('handles thousands of secrets', () => {
    const secrets = Array.from({ length: 5000 }, (_, i) => `tok_${i.toString(36)}_${'x'.repeat(i % 7)}Z`);
    const r = createSecretRedactor(secrets);
    const text = `start ${secrets[4321]} middle ${secrets[7]} end`;
    expect(r.redact(text)).toBe('start [REDACTED] middle [REDACTED] end');
  });
});
