// Every built-in skill inside a REAL runsc agent (Docker + gVisor, network none, read-only
// rootfs, workspace bind-mounted at /workspace). Skips without Docker; fails when
// REQUIRE_SANDBOX=1. Payload sets are batched into a few agent execs to keep wall time modest.
import http from 'node:http';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import codeSkill from '../../skills/code/index.js';
import notesSkill from '../../skills/notes/index.js';
import shellSkill from '../../skills/shell/index.js';
import type { AgentHandle } from '../../src/agents/sandbox.js';
import type { SkillContext } from '../../src/skills/skill.js';
import { createTestAgents, describeSandbox, type TestAgents } from '../helpers/sandbox.js';
import { agentFsFixture, type AgentFsFixture } from './agent-fs-fixture.js';
import { fsCaller, symlinkScenarios } from './fs-scenarios.js';
import { replayShellPayloads } from './shell-injection-replay.js';
import { readJsonl } from './shared-data.js';
import { replayTraversalPayloads } from './traversal-replay.js';

await describeSandbox('skills inside a real runsc agent', () => {
  let t: TestAgents;
  let agent: AgentHandle;
  let f: AgentFsFixture;
  const ctx = (config: Record<string, unknown> = {}): SkillContext => ({ conversationId: agent.conversationId, actionId: 'a1', agent, secrets: {}, config, signal: new AbortController().signal });

  beforeAll(async () => {
    t = await createTestAgents();
    agent = t.manager.agentFor(`skills-test-${process.pid}-${Date.now()}`);
    f = agentFsFixture(agent, '/workspace', '/tmp/ss-outside');
    await f.setup([{ kind: 'mkdir', path: '/tmp/ss-outside' }]);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  }, 120_000);

  it('runs as the sandbox: not root, read-only rootfs, gVisor kernel', async () => {
    const r = await agent.exec({ argv: ['node', '-e', 'const fs=require("fs");let ro=false;try{fs.writeFileSync("/etc/x","x")}catch(e){ro=e.code}console.log(JSON.stringify({uid:process.getuid(),ro,cwd:process.cwd()}))'] });
    expect(JSON.parse(r.stdout)).toEqual({ uid: 1000, ro: expect.stringMatching(/EROFS|EACCES/), cwd: '/workspace' });
    // gVisor's own kernel log, readable only under runsc.
    const k = await agent.exec({ argv: ['busybox', 'dmesg'] });
    expect(k.stdout).toMatch(/gVisor/);
  });

  it('filesystem: happy path, refusal, limits', async () => {
    const call = fsCaller(f);
    expect(await call('write', { path: '/notes/a.txt', content: 'in the agent' })).toMatchObject({ ok: true, result: { created: true } });
    expect(await call('read', { path: 'notes/a.txt' })).toMatchObject({ ok: true, result: { content: 'in the agent' } });
    expect(await call('list', { path: 'notes' })).toMatchObject({ ok: true, result: { entries: [{ name: 'a.txt' }] } });
    expect(await call('read', { path: '../etc/passwd' })).toMatchObject({ ok: false, code: 'SS_ERR_TOOL_ARGUMENTS' });
    expect(await fsCaller(f, { max_write_bytes: 4 })('write', { path: 'x.txt', content: 'too long' })).toMatchObject({ ok: false, code: 'too_large' });
  });

  it('filesystem: every fs_symlink_scenarios_mcp.jsonl scenario holds on the agent filesystem', async () => {
    const rows = readJsonl<{ scenario: string }>('fs_symlink_scenarios_mcp.jsonl');
    for (const [i, row] of rows.entries()) {
      const scenario = symlinkScenarios[row.scenario];
      expect(scenario, row.scenario).toBeDefined();
      await scenario!(f, `sandbox-sc${i}`);
    }
  }, 180_000);

  it('filesystem: no traversal payload reads or writes the canary outside /workspace', async () => {
    const stats = await replayTraversalPayloads(f);
    expect(stats.payloads).toBeGreaterThan(600);
  }, 180_000);

  it('shell: no injection payload passed as an argv argument starts a process', async () => {
    const stats = await replayShellPayloads(f);
    expect(stats.payloads).toBeGreaterThan(250);
  }, 120_000);

  it('shell and code: answers, timeouts, output caps', async () => {
    expect(await shellSkill.execute(ctx(), 'run', { argv: ['sh', '-c', 'echo $0', 'x'] })).toMatchObject({ exit_code: 0, stdout: 'x\n' });
    expect(await shellSkill.execute(ctx(), 'script', { script: 'echo a | tr a b' })).toMatchObject({ exit_code: 0, stdout: 'b\n' });
    expect(await shellSkill.execute(ctx(), 'run', { argv: ['sleep', '10'], timeout_ms: 500 })).toMatchObject({ limit: 'timeout' });
    expect(await shellSkill.execute(ctx({ output_cap_bytes: 1024 }), 'run', { argv: ['node', '-e', 'process.stdout.write("z".repeat(100000))'] })).toMatchObject({ truncated: true });
    expect(await codeSkill.execute(ctx(), 'run', { language: 'python', source: 'import sys; print(len(sys.stdin.read()))', stdin: 'abcd' })).toMatchObject({ exit_code: 0, stdout: '4\n' });
    expect(await codeSkill.execute(ctx(), 'run', { language: 'javascript', source: 'console.log(require("os").userInfo().uid)' })).toMatchObject({ exit_code: 0, stdout: '1000\n' });
  }, 120_000);

  it('notes: remember, recall, forget persist in the workspace', async () => {
    const a = (await notesSkill.execute(ctx(), 'remember', { text: 'sandbox note alpha' })) as { note: { id: string } };
    expect(await notesSkill.execute(ctx(), 'recall', { query: 'alpha' })).toMatchObject({ total: 1 });
    const file = await f.probe(['/workspace/.notes.json']);
    expect(file['/workspace/.notes.json']!.content).toContain('sandbox note alpha');
    expect(await notesSkill.execute(ctx(), 'forget', { id: a.note.id })).toMatchObject({ forgotten: true });
  });

  it('a secret passed as env reaches that exec only', async () => {
    const print = ['node', '-e', 'process.stdout.write(process.env.DEPLOY_TOKEN ?? "absent")'];
    expect((await agent.exec({ argv: print, env: { DEPLOY_TOKEN: 's3cr3t' } })).stdout).toBe('s3cr3t');
    expect((await agent.exec({ argv: print })).stdout).toBe('absent');
  });

  describeHttp();

  function describeHttp(): void {
    let server: http.Server;
    let port: number;
    beforeAll(async () => {
      server = http.createServer((_req, res) => res.end('hello from the host'));
      await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    });

    // The http skill through the proxy from inside a real agent: http-agent.test.ts.

    it('http: direct network access from the agent fails (no route to the host server or the internet)', async () => {
      const hostIps = Object.values(networkInterfaces()).flat().filter((n) => n && n.family === 'IPv4' && !n.internal).map((n) => n!.address);
      const targets = [...hostIps.map((ip) => ({ host: ip, port })), { host: '1.1.1.1', port: 80 }, { host: '127.0.0.1', port }];
      const probe = `
        const net = require('net');
        const targets = JSON.parse(process.argv[1]);
        Promise.all(targets.map((t) => new Promise((resolve) => {
          const s = net.connect({ host: t.host, port: t.port });
          const done = (r) => { s.destroy(); resolve({ ...t, r }); };
          s.setTimeout(3000, () => done('timeout'));
          s.on('connect', () => done('connected'));
          s.on('error', (e) => done(e.code || 'error'));
        }))).then((r) => console.log(JSON.stringify(r)));`;
      const r = await agent.exec({ argv: ['node', '-e', probe, JSON.stringify(targets)], timeoutMs: 20_000 });
      const results = JSON.parse(r.stdout) as Array<{ host: string; r: string }>;
      expect(results).toHaveLength(targets.length);
      for (const x of results) expect(x.r, `${x.host}`).not.toBe('connected');
      const dns = await agent.exec({ argv: ['node', '-e', 'require("dns").lookup("example.com",(e,a)=>console.log(e?e.code:a))'], timeoutMs: 15_000 });
      expect(dns.stdout.trim()).not.toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    });
  }
});
