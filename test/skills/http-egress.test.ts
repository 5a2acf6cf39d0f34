// The http skill through the real egress proxy (Unix socket) against a local HTTP server:
// allowed domain works, other domains are refused before any connection, private addresses
// are refused by default, responses are capped, redirects are not followed.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import httpSkill from '../../skills/http/index.js';
import { createEgressClient } from '../../src/security/egress-client.js';
import { isPrivateAddress } from '../../src/security/egress-address.js';
import { egressAllowlistFromConfig, hostMatches } from '../../src/security/egress-allowlist.js';
import { startEgressProxy, type EgressProxy } from '../../src/security/egress-proxy.js';
import { loadSkills } from '../../src/skills/loader.js';
import type { SkillContext } from '../../src/skills/skill.js';
import { createHostAgentForUnitTests } from './host-agent-for-unit-tests.js';

let server: http.Server;
let port: number;
const seen: string[] = [];
let dir: string;
let proxy: EgressProxy;
let strictProxy: EgressProxy;
const agent = createHostAgentForUnitTests();

const testLookup = async (hostname: string) => {
  if (hostname.endsWith('.test')) return [{ address: '127.0.0.1', family: 4 }];
  throw new Error('unknown host');
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.headers.host} ${req.url}`);
    if (req.url === '/big') return void res.end('y'.repeat(5000));
    if (req.url === '/redirect') return void res.writeHead(302, { location: 'http://other.test/' }).end();
    if (req.url === '/forged') return void res.writeHead(200, { 'x-securesphere-refused': 'domain_not_allowed', 'x-securesphere-truncated': '1' }).end('real body');
    let body = '';
    req.on('data', (c) => (body += c)).on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello ${req.method} ${body} ${req.headers['x-token'] ?? ''} skill-header:${req.headers['x-securesphere-skill'] ?? 'none'}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  dir = mkdtempSync(path.join(tmpdir(), 'ss-egress-'));
  const { skills } = await loadSkills({ enabled: ['http', 'filesystem'] });
  const allow = egressAllowlistFromConfig(skills, { http: { allow_domains: ['allowed.test', '*.wild.test'] } });
  proxy = await startEgressProxy({ socketPath: path.join(dir, 'egress.sock'), allow, maxResponseBytes: 1000, allowPrivateAddresses: true, lookup: testLookup });
  strictProxy = await startEgressProxy({ socketPath: path.join(dir, 'strict.sock'), allow, maxResponseBytes: 1000, lookup: testLookup });
});

afterAll(async () => {
  await proxy.close();
  await strictProxy.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
  agent.dispose();
});

function ctxFor(socketPath: string, viaConfig = false): SkillContext {
  const client = createEgressClient({ socketPath });
  return {
    conversationId: 'c1',
    actionId: 'a1',
    agent,
    secrets: {},
    config: viaConfig ? { egress_socket: socketPath } : {},
    signal: new AbortController().signal,
    egress: viaConfig ? undefined : { request: (r) => client.request('http', r) },
  };
}

describe('http skill through the egress proxy', () => {
  it('fetches from an allowed domain, marks the body untrusted, never forwards proxy headers', async () => {
    const r = await httpSkill.execute(ctxFor(proxy.socketPath!), 'request', { url: `http://allowed.test:${port}/x`, method: 'POST', headers: { 'x-token': 't1' }, body: 'b1' });
    expect(r).toMatchObject({ status: 200, body: 'hello POST b1 t1 skill-header:none', untrusted: true, truncated: false, binary: false });
    expect(seen.at(-1)).toBe(`POST allowed.test:${port} /x`);
  });

  it('matches wildcard subdomains and works through config.egress_socket too', async () => {
    const r = await httpSkill.execute(ctxFor(proxy.socketPath!, true), 'request', { url: `http://api.wild.test:${port}/w` });
    expect(r).toMatchObject({ status: 200, body: expect.stringContaining('hello GET') });
  });

  it('refuses a domain outside the allowlist without connecting to it', async () => {
    const before = seen.length;
    await expect(httpSkill.execute(ctxFor(proxy.socketPath!), 'request', { url: `http://other.test:${port}/` })).rejects.toMatchObject({ code: 'SS_ERR_POLICY_DENIED' });
    await expect(httpSkill.execute(ctxFor(proxy.socketPath!), 'request', { url: `http://wild.test:${port}/` })).rejects.toMatchObject({ code: 'SS_ERR_POLICY_DENIED' });
    await expect(httpSkill.execute(ctxFor(proxy.socketPath!), 'request', { url: `http://127.0.0.1:${port}/` })).rejects.toMatchObject({ code: 'SS_ERR_POLICY_DENIED' });
    expect(seen.length).toBe(before);
  });

  it('applies the allowlist per skill: another skill gets nothing', async () => {
    const client = createEgressClient({ socketPath: proxy.socketPath! });
    const r = await client.request('filesystem', { url: `http://allowed.test:${port}/` });
    expect(r).toMatchObject({ status: 403, refused: 'domain_not_allowed' });
    const none = await client.request('no-such-skill', { url: `http://allowed.test:${port}/` });
    expect(none.refused).toBe('domain_not_allowed');
  });

  it('refuses private and loopback addresses unless the operator allows them', async () => {
    await expect(httpSkill.execute(ctxFor(strictProxy.socketPath!), 'request', { url: `http://allowed.test:${port}/` })).rejects.toThrow(/private_address/);
  });

  it('caps the response size, does not follow redirects, and ignores forged verdict headers', async () => {
    const big = await httpSkill.execute(ctxFor(proxy.socketPath!), 'request', { url: `http://allowed.test:${port}/big` });
    expect(big).toMatchObject({ status: 200, truncated: true, bytes: 1000 });
    const redirect = await httpSkill.execute(ctxFor(proxy.socketPath!), 'request', { url: `http://allowed.test:${port}/redirect` });
    expect(redirect).toMatchObject({ status: 302, location: 'http://other.test/' });
    const forged = await httpSkill.execute(ctxFor(proxy.socketPath!), 'request', { url: `http://allowed.test:${port}/forged` });
    expect(forged).toMatchObject({ status: 200, body: 'real body', truncated: false });
  });

  it('validates arguments and refuses without a proxy', async () => {
    const input = httpSkill.manifest.operations.request!.input;
    expect(input.safeParse({ url: 'file:///etc/passwd' }).success).toBe(false);
    expect(input.safeParse({ url: 'http://user:pw@allowed.test/' }).success).toBe(false);
    expect(input.safeParse({ url: 'http://allowed.test/', method: 'DELETE' }).success).toBe(false);
    expect(input.safeParse({ url: 'http://allowed.test/', headers: { Host: 'evil' } }).success).toBe(false);
    expect(input.safeParse({ url: 'http://allowed.test/', headers: { 'x-securesphere-skill': 'shell' } }).success).toBe(false);
    expect(input.safeParse({ url: 'http://allowed.test/', headers: { a: 'b\r\nc: d' } }).success).toBe(false);
    expect(input.safeParse({ url: 'https://allowed.test/a?b=c', method: 'POST', body: '{}' }).success).toBe(true);
    const bare: SkillContext = { ...ctxFor(proxy.socketPath!, true), config: {} };
    await expect(httpSkill.execute(bare, 'request', { url: 'http://allowed.test/' })).rejects.toMatchObject({ code: 'SS_ERR_SKILL_FAILED' });
  });
});

describe('egress building blocks', () => {
  it('hostMatches compares exact hosts and *.suffix subdomains only', () => {
    expect(hostMatches('example.com', 'example.com')).toBe(true);
    expect(hostMatches('EXAMPLE.com.', 'example.com')).toBe(true);
    expect(hostMatches('evil-example.com', 'example.com')).toBe(false);
    expect(hostMatches('example.com.evil.net', 'example.com')).toBe(false);
    expect(hostMatches('a.example.com', '*.example.com')).toBe(true);
    expect(hostMatches('example.com', '*.example.com')).toBe(false);
    expect(hostMatches('aexample.com', '*.example.com')).toBe(false);
  });

  it('isPrivateAddress covers loopback, private ranges, metadata and mapped IPv6', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', 'not-an-ip']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111']) expect(isPrivateAddress(a), a).toBe(false);
  });
});

describe('startSkillEgress', () => {
  it('starts the proxy in a private run dir with the config allowlist and binds handles per skill', async () => {
    const { startSkillEgress } = await import('../../src/security/skill-egress.js');
    const { statSync } = await import('node:fs');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ss-skill-egress-'));
    const { skills } = await loadSkills({ enabled: ['http', 'notes'] });
    const service = await startSkillEgress({ dataDir, skills, settings: { http: { allow_domains: ['allowed.test'] } }, allowPrivateAddresses: true, lookup: testLookup, maxResponseBytes: 100 });
    try {
      expect(statSync(path.join(dataDir, 'run')).mode & 0o777).toBe(0o700);
      const ok = await service.egressFor('http').request({ url: `http://allowed.test:${port}/big` });
      expect(ok).toMatchObject({ status: 200, truncated: true, refused: null });
      expect(ok.body.length).toBe(100);
      expect((await service.egressFor('notes').request({ url: `http://allowed.test:${port}/` })).refused).toBe('domain_not_allowed');
    } finally {
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
