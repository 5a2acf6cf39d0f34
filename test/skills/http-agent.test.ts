// The http skill's request originates INSIDE a real runsc agent (network none): its in-agent
// script reaches the host's egress proxy through the socket directory bind-mounted at
// /run/securesphere/egress (runsc --host-uds=open), with a one-time token the gateway minted
// for that execution. Code the shell skill runs in the same agent reaches the same socket but
// has no token, so it gets nothing; forged, used and expired tokens get nothing; direct network
// from the agent still fails. Skips without Docker; fails under REQUIRE_SANDBOX=1.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import httpSkill from '../../skills/http/index.js';
import shellSkill from '../../skills/shell/index.js';
import { type AgentSubsystem, createAgentManager } from '../../src/agents/create-agent-manager.js';
import type { AgentHandle } from '../../src/agents/sandbox.js';
import { configSchema } from '../../src/config/schema.js';
import { AGENT_EGRESS_DIR, AGENT_EGRESS_SOCKET } from '../../src/security/egress-paths.js';
import { startSkillEgress, type SkillEgressService } from '../../src/security/skill-egress.js';
import { loadSkills } from '../../src/skills/loader.js';
import type { SkillContext } from '../../src/skills/skill.js';
import { type Db, openDatabase } from '../../src/store/database.js';
import { TEST_IMAGE, describeSandbox } from '../helpers/sandbox.js';

// Runs in the agent: one request per token over the mounted socket, answers [status, refused].
const PROBE = `
const http = require('http');
const [socket, url, tokens] = JSON.parse(process.argv[1]);
(async () => {
  const out = [];
  for (const token of tokens) {
    out.push(await new Promise((resolve) => {
      const headers = token === null ? {} : { 'x-securesphere-token': token };
      http.request({ socketPath: socket, path: url, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve([res.statusCode, res.headers['x-securesphere-refused'] || null]));
      }).on('error', (e) => resolve([0, e.code])).end();
    }));
  }
  console.log(JSON.stringify(out));
})();`;

await describeSandbox('http skill from inside a real runsc agent', () => {
  let dataDir: string;
  let db: Db;
  let egress: SkillEgressService;
  let sub: AgentSubsystem;
  let agent: AgentHandle;
  let server: http.Server;
  let port: number;
  let hits = 0;
  const ctx = (skill: string, config: Record<string, unknown> = {}): SkillContext => ({
    conversationId: agent.conversationId,
    actionId: 'a1',
    agent,
    secrets: {},
    config,
    signal: new AbortController().signal,
    egress: egress.egressFor(skill),
  });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits++;
      res.end(`hello from the allowed host ${req.method} ${req.url}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    port = (server.address() as AddressInfo).port;
    dataDir = mkdtempSync(path.join(tmpdir(), 'ss-http-agent-'));
    db = openDatabase(dataDir);
    const { skills } = await loadSkills({ enabled: ['http', 'shell'] });
    egress = await startSkillEgress({
      dataDir,
      skills,
      settings: { http: { allow_domains: ['allowed.test'] }, shell: { allow_domains: ['allowed.test'] } },
      allowPrivateAddresses: true,
      lookup: async (h) => (h.endsWith('.test') ? [{ address: '127.0.0.1', family: 4 }] : []),
    });
    const config = configSchema.parse({ sandbox: { image: TEST_IMAGE, warm_pool: 0, require_strong_isolation: true } }).sandbox;
    sub = await createAgentManager({ db, config, dataDir, egressSocketDir: egress.socketDir });
    agent = sub.manager.agentFor(`http-agent-${process.pid}-${Date.now()}`);
  }, 180_000);

  afterAll(async () => {
    await sub?.manager.close({ stopAgents: true });
    await egress?.close();
    db?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('reaches an allowed domain through the proxy from inside the agent; another domain is refused', async () => {
    const before = hits;
    const r = await httpSkill.execute(ctx('http'), 'request', { url: `http://allowed.test:${port}/page`, method: 'POST', body: 'x' });
    expect(r).toMatchObject({ status: 200, body: 'hello from the allowed host POST /page', untrusted: true, truncated: false });
    expect(hits).toBe(before + 1);
    await expect(httpSkill.execute(ctx('http'), 'request', { url: `http://other.test:${port}/` })).rejects.toMatchObject({ code: 'SS_ERR_POLICY_DENIED' });
    expect(hits).toBe(before + 1);
    expect(egress.tokens.size()).toBe(0);
  }, 60_000);

  it('the mounted socket refuses requests with no, forged, used or expired tokens', async () => {
    const used = egress.egressFor('http').grant(30_000);
    const expired = egress.egressFor('http').grant(1);
    const before = hits;
    const url = `http://allowed.test:${port}/`;
    const r = await agent.exec({ argv: ['node', '-e', PROBE, JSON.stringify([AGENT_EGRESS_SOCKET, url, [null, 'forged', used.token, used.token, expired.token]])], timeoutMs: 30_000 });
    expect(JSON.parse(r.stdout)).toEqual([[401, 'no_token'], [403, 'bad_token'], [200, null], [403, 'bad_token'], [403, 'bad_token']]);
    expect(hits).toBe(before + 1);
  }, 60_000);

  it('shell_run in the same agent sees the socket but cannot use it (no token), nor replace it', async () => {
    const before = hits;
    const url = `http://allowed.test:${port}/`;
    const probe = await shellSkill.execute(ctx('shell'), 'run', { argv: ['node', '-e', PROBE, JSON.stringify([AGENT_EGRESS_SOCKET, url, [null, '']])] });
    expect(probe).toMatchObject({ exit_code: 0 });
    expect(JSON.parse((probe as { stdout: string }).stdout)).toEqual([[401, 'no_token'], [401, 'no_token']]);
    // The shell skill is never granted a token even though its name has an allowlist here.
    expect(egress.tokens.size()).toBe(0);
    const rm = await shellSkill.execute(ctx('shell'), 'run', { argv: ['rm', '-f', AGENT_EGRESS_SOCKET] });
    expect((rm as { exit_code: number }).exit_code).not.toBe(0);
    const mk = await shellSkill.execute(ctx('shell'), 'run', { argv: ['touch', `${AGENT_EGRESS_DIR}/x`] });
    expect((mk as { exit_code: number }).exit_code).not.toBe(0);
    expect(hits).toBe(before);
    // The socket is still there and working for a granted execution.
    expect(await httpSkill.execute(ctx('http'), 'request', { url })).toMatchObject({ status: 200 });
  }, 60_000);

  it('direct network from the agent still fails', async () => {
    const probe = `
      const net = require('net');
      const s = net.connect({ host: process.argv[1], port: Number(process.argv[2]) });
      const done = (r) => { s.destroy(); console.log(r); };
      s.setTimeout(3000, () => done('timeout'));
      s.on('connect', () => done('connected'));
      s.on('error', (e) => done(e.code || 'error'));`;
    for (const host of ['127.0.0.1', '172.17.0.1']) {
      const r = await agent.exec({ argv: ['node', '-e', probe, host, String(port)], timeoutMs: 15_000 });
      expect(r.stdout.trim(), host).not.toBe('connected');
      expect(r.stdout.trim(), host).not.toBe('');
    }
  }, 60_000);
});
