// The secret redactor on its own: every spelling of a secret is replaced, nothing else is.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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

describe('secret redactor: encoded forms', () => {
  // Random, and with characters that URL-encoding and JSON change; the forms are made by the
  // real command-line encoders a program in an agent would use.
  const CANARY = `Cnry-${randomBytes(9).toString('hex')}/x+y z"q`;
  const tool = (cmd: string, args: string[], input: string) => execFileSync(cmd, args, { input, encoding: 'utf8' });
  const rot13 = (s: string) => s.replace(/[A-Za-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - (c <= 'Z' ? 65 : 97) + 13) % 26) + (c <= 'Z' ? 65 : 97)));
  const encodings: Record<string, string> = {
    'hex (xxd -p)': tool('xxd', ['-p', '-c', '256'], CANARY),
    'HEX (upper case)': Buffer.from(CANARY).toString('hex').toUpperCase(),
    'base32 (coreutils, with a trailing newline encoded)': tool('base32', ['-w', '0'], `${CANARY}\n`),
    'base32 lower case': tool('base32', ['-w', '0'], CANARY).toLowerCase(),
    'base64 of "KEY=<secret>" (unaligned)': tool('base64', ['-w', '0'], `KEY=${CANARY}\n`),
    'base64 of "K=<secret>" (unaligned)': tool('base64', ['-w', '0'], `K=${CANARY}`),
    'base64url (basenc)': tool('basenc', ['--base64url', '-w', '0'], `xy${CANARY}`),
    'URL-encoded': `q=${encodeURIComponent(CANARY)}&r=1`,
    'URL-encoded with lower-case escapes': encodeURIComponent(CANARY).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    'form-encoded (+ for space)': new URLSearchParams({ k: CANARY }).toString(),
    'lower case': CANARY.toLowerCase(),
    'upper case': CANARY.toUpperCase(),
    'reversed (rev)': tool('rev', [], `${CANARY}\n`),
    'rot13 (tr)': tool('tr', ['A-Za-z', 'N-ZA-Mn-za-m'], CANARY),
    'JSON-escaped': JSON.stringify({ v: CANARY }),
  };

  it.each(Object.entries(encodings))('redacts the canary %s', (_name, encoded) => {
    const r = createSecretRedactor([CANARY]);
    const text = `before ${encoded} after`;
    const out = r.redact(text);
    expect(out).toContain('[REDACTED]');
    expect(out.startsWith('before ')).toBe(true);
    expect(out.endsWith(' after')).toBe(true);
    // Nothing that identifies the secret is left: not its random part in any case or order,
    // nor a run of the encoded text long enough to decode most of it.
    const core = CANARY.slice(5, 23);
    for (const probe of [core, core.toUpperCase(), [...core].reverse().join(''), rot13(core)]) expect(out.toLowerCase()).not.toContain(probe.toLowerCase());
    expect(out.length).toBeLessThan(text.length - encoded.length / 2);
    expect(r.containsSecret({ nested: [{ [encoded]: 1 }] })).toBe(true);
  });

  it('matches a secret shorter than 8 characters exactly only: its other spellings are ordinary text too often', () => {
    const r = createSecretRedactor(['Ab1x-z']);
    expect(r.redact('Ab1x-z AB1X-Z ab1x-z z-x1bA 416231782d7a')).toBe('[REDACTED] AB1X-Z ab1x-z z-x1bA 416231782d7a');
    expect(r.redact(`b64 ${Buffer.from('Ab1x-z').toString('base64')}`)).toBe('b64 [REDACTED]');
    expect(r.containsSecret({ a: ['AB1X-Z'] })).toBe(false);
    expect(r.containsSecret({ a: ['xAb1x-zx'] })).toBe(true);
  });

  it('leaves unrelated text alone and finds no secret in it', () => {
    const r = createSecretRedactor([CANARY]);
    const text = `plain text 0123456789abcdef ${randomBytes(32).toString('base64')} ${randomBytes(20).toString('hex')}`;
    expect(r.redact(text)).toBe(text);
    expect(r.containsSecret({ a: [text], [text]: text })).toBe(false);
  });

  it('containsSecret walks deep values without overflowing the stack', () => {
    const r = createSecretRedactor([CANARY]);
    let deep: unknown = { leaf: `x${CANARY.toUpperCase()}y` };
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(r.containsSecret(deep)).toBe(true);
  });
});
