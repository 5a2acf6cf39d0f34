// The agent API routes and the agents/sandbox CLI commands, on a real runsc agent manager.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/app.js';
import { agentRoutes } from '../../src/api/routes/agents.js';
import { registerAgentCommands } from '../../src/cli/commands/agents.js';
import { registerSandboxCommands } from '../../src/cli/commands/sandbox.js';
import { configSchema } from '../../src/config/schema.js';
import { type TestAgents, createTestAgents, describeSandbox } from '../helpers/sandbox.js';

await describeSandbox('agent API routes and CLI', () => {
  let t: TestAgents;
  const lines: string[] = [];
  const program = (): Command => {
    const p = new Command('securesphere').exitOverride();
    const open = async () => ({ agents: t, config: configSchema.parse({ sandbox: t.config }), close: async () => undefined });
    registerAgentCommands(p, open, { out: (s) => lines.push(s) });
    registerSandboxCommands(p, open, () => configSchema.parse({ sandbox: t.config }), { out: (s) => lines.push(s) });
    return p;
  };
  const app = () => createApiApp({ token: 'test-token', bodyLimitBytes: 1 << 20, logger: pino({ level: 'silent' }), routes: [agentRoutes(async () => t)] });
  const auth = { authorization: 'Bearer test-token' };

  // The host knob is read from a file we control, set to "off", to see the advice come through.
  const rcuDir = mkdtempSync(join(tmpdir(), 'securesphere-rcu-'));
  const rcuFile = join(rcuDir, 'rcu_expedited');
  writeFileSync(rcuFile, '0\n');

  beforeAll(async () => {
    t = await createTestAgents({}, { rcuExpeditedPath: rcuFile });
  });
  afterAll(async () => {
    rmSync(rcuDir, { recursive: true, force: true });
    await t?.close();
  });

  it('sandbox exec runs in the conversation agent and prints the JSON result', async () => {
    lines.length = 0;
    await program().parseAsync(['node', 'securesphere', 'sandbox', 'exec', '--conversation', 'cli-conv', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    const result = JSON.parse(lines.at(-1)!);
    expect(result).toMatchObject({ exit_code: 3, stdout: 'out\n', stderr: 'err\n', limit: null });
    expect(typeof result.duration_ms).toBe('number');
    lines.length = 0;
    await program().parseAsync(['node', 'securesphere', 'sandbox', 'exec', '--conversation', 'cli-conv', '--timeout', '500', '--', 'sleep', '5']);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ exit_code: null, limit: 'timeout' });
  });

  it('ls -l and stat work inside a runsc agent (GNU ones fail there with EINVAL on statx)', async () => {
    lines.length = 0;
    await program().parseAsync(['node', 'securesphere', 'sandbox', 'exec', '--conversation', 'cli-conv', '--', 'sh', '-c', 'echo hi > listed.txt && ls -l /workspace && stat listed.txt']);
    const result = JSON.parse(lines.at(-1)!);
    expect(result).toMatchObject({ exit_code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^-rw\S+\s+1 agent\s+agent\s+3 .* listed\.txt$/m);
    expect(result.stdout).toMatch(/File: listed\.txt/);
  });

  it('sandbox info probes every runtime; build-image is cached when the image is current', async () => {
    lines.length = 0;
    await program().parseAsync(['node', 'securesphere', 'sandbox', 'info']);
    const info = JSON.parse(lines.join('\n'));
    expect(info).toMatchObject({ backend: 'docker', runtime: 'runsc', strength: 'strong', workspace_quota: 'loop' });
    const byName = Object.fromEntries(info.candidates.map((c: { name: string; status: string }) => [c.name, c.status]));
    expect(byName).toMatchObject({ runsc: 'found', kata: 'absent', runc: 'rejected', bubblewrap: 'rejected' }); // require_strong_isolation
    lines.length = 0;
    await program().parseAsync(['node', 'securesphere', 'sandbox', 'build-image']);
    expect(lines.at(-1)).toBe(`${t.config.image} is up to date`);
  });

  it('GET /api/agents and /api/agents/:id show the agent; /api/sandbox shows runtime and limits', async () => {
    const a = app();
    const list = await a.inject({ method: 'GET', url: '/api/agents', headers: auth });
    expect(list.statusCode).toBe(200);
    const agent = list.json().agents.find((x: { conversation_id: string }) => x.conversation_id === 'cli-conv');
    expect(agent).toMatchObject({ state: 'running', runtime: 'runsc', backend: 'docker' });
    const one = await a.inject({ method: 'GET', url: `/api/agents/${agent.id}`, headers: auth });
    expect(one.json().agent.id).toBe(agent.id);
    expect((await a.inject({ method: 'GET', url: '/api/agents/nope', headers: auth })).statusCode).toBe(404);
    const sandbox = (await a.inject({ method: 'GET', url: '/api/sandbox', headers: auth })).json();
    expect(sandbox).toMatchObject({ backend: 'docker', runtime: 'runsc', strength: 'strong', image: t.config.image, limits: t.config.limits });
    expect(sandbox.candidates.map((c: { name: string }) => c.name)).toEqual(['runsc', 'kata', 'runc', 'bubblewrap']);
    expect(sandbox.host_tuning).toMatchObject({ rcu_expedited: false, advice: expect.stringContaining('setup-sandbox.sh') });
    expect((await t.manager.health()).detail).toContain('rcu_expedited is 0');
    await a.close();
  });

  it('DELETE /api/agents/:id?force=true stops the agent; agents list shows it stopped', async () => {
    const a = app();
    const agent = t.manager.list().find((x) => x.conversationId === 'cli-conv' && x.state === 'running')!;
    const res = await a.inject({ method: 'DELETE', url: `/api/agents/${agent.id}?force=true`, headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json().agent).toMatchObject({ id: agent.id, state: 'stopped', exit_code: 137 });
    await a.close();
    lines.length = 0;
    await program().parseAsync(['node', 'securesphere', 'agents', 'list', '--json']);
    expect(JSON.parse(lines.join('\n')).find((x: { id: string }) => x.id === agent.id).state).toBe('stopped');
  });

  it('agents stop stops a running agent gracefully', async () => {
    await t.manager.agentFor('cli-conv-2').exec({ argv: ['true'] });
    const agent = t.manager.list().find((x) => x.conversationId === 'cli-conv-2' && x.state === 'running')!;
    lines.length = 0;
    await program().parseAsync(['node', 'securesphere', 'agents', 'stop', agent.id]);
    expect(lines.at(-1)).toBe(`${agent.id}: stopped (exit code 143)`);
  });
});
