// The http skill through the real egress proxy (Unix socket) against a local HTTP server, its
// in-agent script run by the host stand-in agent (real runsc agents: http-agent.test.ts):
// allowed domain works, other domains are refused before any connection, a request without a
// live one-time token is refused, private addresses are refused by default, responses are
// capped, redirects are not followed.
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
import { AGENT_EGRESS_SOCKET } from '../../src/security/egress-paths.js';
import { startEgressProxy, type EgressProxy } from '../../src/security/egress-proxy.js';
import { createEgressTokens } from '../../src/security/egress-tokens.js';
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
const tokens = createEgressTokens();

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
    req.on('data', (c) => (body += c)).on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello ${req.method} ${body} ${req.headers['x-token'] ?? ''} token-header:${req.headers['x-securesphere-token'] ?? 'none'}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  dir = mkdtempSync(path.join(tmpdir(), 'ss-egress-'));
  const { skills } = await loadSkills({ enabled: ['http', 'filesystem'] });
  const allow = egressAllowlistFromConfig(skills, { http: { allow_domains: ['allowed.test', '*.wild.test'] } });
  const identify = (token: string) => tokens.take(token);
  proxy = await startEgressProxy({ socketPath: path.join(dir, 'egress.sock'), identify, allow, maxResponseBytes: 1000, allowPrivateAddresses: true, lookup: testLookup });
  strictProxy = await startEgressProxy({ socketPath: path.join(dir, 'strict.sock'), identify, allow, maxResponseBytes: 1000, lookup: testLookup });
});

afterAll(async () => {
  await proxy.close();
  await strictProxy.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
  agent.dispose();
});

// The host stand-in agent reaches the proxy at its host path; real agents use AGENT_EGRESS_SOCKET.
function ctxFor(socketPath: string, config: Record<string, unknown> = {}, skill = 'http'): SkillContext {
  return {
    conversationId: 'c1',
    actionId: 'a1',
    agent,
    secrets: {},
    config,
    signal: new AbortController().signal,
    egress: { grant: (ttlMs) => ({ ...tokens.mint(skill, ttlMs), socketPath }) },
  };
}

describe('http skill through the egress proxy', () => {
  it('fetches from an allowed domain inside the agent, marks the body untrusted, never forwards the token', async () => {
    const r = await httpSkill.execute(ctxFor(proxy.socketPath!), 'request', { url: `http://allowed.test:${port}/x`, method: 'POST', headers: { 'x-token': 't1' }, body: 'b1' });
    expect(r).toMatchObject({ status: 200, body: 'hello POST b1 t1 token-header:none', untrusted: true, truncated: false, binary: false });
    expect(seen.at(-1)).toBe(`POST allowed.test:${port} /x`);
    // The request was made by the in-agent script, with the token on its stdin (not argv or env).
    const call = agent.calls.at(-1)!;
    expect(call.argv.slice(0, 2)).toEqual(['node', '-e']);
    expect(JSON.parse(call.stdin!)).toMatchObject({ socket: proxy.socketPath, url: `http://allowed.test:${port}/x`, token: expect.stringMatching(/^[\w-]{43}$/) });
    expect(JSON.stringify(call.env ?? {})).not.toContain(JSON.parse(call.stdin!).token);
    expect(tokens.size()).toBe(0); // revoked when the execution ended
  });

  it('matches wildcard subdomains', async () => {
    const r = await httpSkill.execute(ctxFor(proxy.socketPath!), 'request', { url: `http://api.wild.test:${port}/w` });
    expect(r).toMatchObject({ status: 200, body: expect.stringContaining('hello GET') });
  });

  it('refuses a domain outside the allowlist without connecting to it', async () => {
    const before = seen.length;
    await expect(httpSkill.execute(ctxFor(proxy.socketPath!), 'request', { url: `http://other.test:${port}/` })).rejects.toMatchObject({ code: 'SS_ERR_POLICY_DENIED' });
    await expect(httpSkill.execute(ctxFor(proxy.socketPath!), 'request', { url: `http://wild.test:${port}/` })).rejects.toMatchObject({ code: 'SS_ERR_POLICY_DENIED' });
    await expect(httpSkill.execute(ctxFor(proxy.socketPath!), 'request', { url: `http://127.0.0.1:${port}/` })).rejects.toMatchObject({ code: 'SS_ERR_POLICY_DENIED' });
    expect(seen.length).toBe(before);
  });

  it('applies the allowlist of the skill the token was minted for: another skill gets nothing', async () => {
    await expect(httpSkill.execute(ctxFor(proxy.socketPath!, {}, 'filesystem'), 'request', { url: `http://allowed.test:${port}/` })).rejects.toMatchObject({ code: 'SS_ERR_POLICY_DENIED' });
    const client = createEgressClient({ socketPath: proxy.socketPath! });
    const none = await client.request(tokens.mint('no-such-skill', 10_000).token, { url: `http://allowed.test:${port}/` });
    expect(none.refused).toBe('domain_not_allowed');
  });

  it('refuses without a live token: none, forged, used, revoked or expired; nothing is fetched', async () => {
    const client = createEgressClient({ socketPath: proxy.socketPath! });
    const before = seen.length;
    const url = `http://allowed.test:${port}/`;
    expect(await client.request('', { url })).toMatchObject({ status: 401, refused: 'no_token' });
    expect(await client.request('forged-token', { url })).toMatchObject({ status: 403, refused: 'bad_token' });
    const used = tokens.mint('http', 10_000);
    expect(await client.request(used.token, { url })).toMatchObject({ status: 200, refused: null });
    expect(await client.request(used.token, { url })).toMatchObject({ status: 403, refused: 'bad_token' });
    const revoked = tokens.mint('http', 10_000);
    revoked.revoke();
    expect(await client.request(revoked.token, { url })).toMatchObject({ status: 403, refused: 'bad_token' });
    const expired = tokens.mint('http', 1);
    await new Promise((r) => setTimeout(r, 5));
    expect(await client.request(expired.token, { url })).toMatchObject({ status: 403, refused: 'bad_token' });
    expect(seen.length).toBe(before + 1);
  });

  it('expiring tokens are swept', () => {
    let t = 0;
    const clock = createEgressTokens(() => t);
    const g = clock.mint('http', 100);
    expect(clock.size()).toBe(1);
    t = 100;
    expect(clock.size()).toBe(0);
    expect(clock.take(g.token)).toBeNull();
    const h = clock.mint('http', 100);
    expect(clock.take(h.token)).toBe('http');
    expect(clock.take(h.token)).toBeNull();
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
    // The skill's own cap (skills.settings.http.max_response_bytes) applies inside the agent too.
    const small = await httpSkill.execute(ctxFor(proxy.socketPath!, { max_response_bytes: 10 }), 'request', { url: `http://allowed.test:${port}/big` });
    expect(small).toMatchObject({ truncated: true, bytes: 10, body: 'y'.repeat(10) });
  });

  it('says so when the agent cannot reach the proxy socket', async () => {
    await expect(httpSkill.execute(ctxFor(path.join(dir, 'missing.sock')), 'request', { url: `http://allowed.test:${port}/` })).rejects.toThrow(/cannot reach the egress proxy socket/);
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
    const bare: SkillContext = { ...ctxFor(proxy.socketPath!), egress: undefined };
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

  it('isPrivateAddress holds each range to its exact edges (172.16.0.0/12 is 172.16.0.0 to 172.31.255.255)', () => {
    for (const a of ['172.16.0.0', '172.31.255.255', '::ffff:172.31.255.255', '10.255.255.255', '192.168.255.255', '100.127.255.255', '169.254.255.255', 'fdff:ffff::1', 'febf::1']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['172.15.255.255', '172.32.0.1', '::ffff:172.32.0.1', '11.0.0.1', '192.169.0.1', '100.128.0.1', '169.255.0.1', 'fe00::1', 'fec0::1']) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
  });
});

describe('startSkillEgress', () => {
  it('starts the proxy in its own socket dir under a private run dir, with the config allowlist and grants per skill', async () => {
    const { startSkillEgress } = await import('../../src/security/skill-egress.js');
    const { statSync } = await import('node:fs');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ss-skill-egress-'));
    const { skills } = await loadSkills({ enabled: ['http', 'notes'] });
    const service = await startSkillEgress({ dataDir, skills, settings: { http: { allow_domains: ['allowed.test'] } }, allowPrivateAddresses: true, lookup: testLookup, maxResponseBytes: 100 });
    try {
      expect(statSync(path.join(dataDir, 'run')).mode & 0o777).toBe(0o700);
      expect(service.socketDir).toBe(path.join(dataDir, 'run', 'egress'));
      expect(statSync(service.socketDir).mode & 0o777).toBe(0o711);
      expect(statSync(service.socketPath).mode & 0o777).toBe(0o666); // the agent's uid connects through the bind mount
      const client = createEgressClient({ socketPath: service.socketPath });
      const grant = service.egressFor('http').grant(10_000);
      expect(grant.socketPath).toBe(AGENT_EGRESS_SOCKET);
      const ok = await client.request(grant.token, { url: `http://allowed.test:${port}/big` });
      expect(ok).toMatchObject({ status: 200, truncated: true, refused: null });
      expect(ok.body.length).toBe(100);
      expect((await client.request(service.egressFor('notes').grant(10_000).token, { url: `http://allowed.test:${port}/` })).refused).toBe('domain_not_allowed');
      const revoked = service.egressFor('http').grant(10_000);
      revoked.revoke();
      expect((await client.request(revoked.token, { url: `http://allowed.test:${port}/` })).refused).toBe('bad_token');
    } finally {
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
