// The record matches reality after a crash, in a real gVisor agent: the gateway (the real
// `securesphere start` in a child process) is killed with SIGKILL while a 6-second program
// runs in the conversation's agent. The in-agent helper stops the call once its gateway is
// gone (no gateway runs until after the program would have finished), so the restarted
// gateway's record ("interrupted ... not run again") is true: the file never appears. A
// program that did finish (its gateway frozen, then killed) is recorded as completed.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { conversationKey } from '../../src/agents/agent-manager.js';
import { buildSandboxImage } from '../../src/agents/image/build-image.js';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama-server.js';
import { spawnCli, type CliProcess } from '../helpers/cli.js';
import { TEST_IMAGE, createTestAgents, describeSandbox } from '../helpers/sandbox.js';

const TOKEN = 'crash-truth-token-5d1e9a7c';
const CONVERSATION = 'crash-truth';

await describeSandbox('the record matches reality after kill -9 during a program in a gVisor agent', () => {
  let fake: FakeOllama;
  let dataDir: string;
  let env: Record<string, string>;
  const children: CliProcess[] = [];

  beforeAll(async () => {
    // The image must carry this source's helper (rebuilt only when its hash changed).
    await buildSandboxImage({ image: TEST_IMAGE });
    fake = await startFakeOllama();
    dataDir = mkdtempSync(join(tmpdir(), 'securesphere-crash-truth-'));
    env = { SECURESPHERE_API_TOKEN: TOKEN, OLLAMA_HOST: fake.url, SECURESPHERE_LOG_LEVEL: 'warn', SECURESPHERE_CONFIG: join(dataDir, 'config.yaml') };
  }, 600_000);

  afterAll(async () => {
    for (const child of children) {
      if (child.child.exitCode === null) child.child.kill('SIGKILL');
      await child.exited;
    }
    // Stop the agent the gateways left behind (and unmount its workspace), then delete everything.
    if (dataDir) {
      const agents = await createTestAgents({}, { dataDir });
      await agents.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    await fake?.close();
  }, 120_000);

  /** The config the next start reads; `leaseMs` is how long a call outlives a silent gateway. */
  function writeConfig(leaseMs: number): void {
    const config = [
      'skills:',
      '  enabled: [shell]',
      'policy:',
      '  overrides: [{ skill: shell, level: low }]',
      'sandbox:',
      '  warm_pool: 0',
      '  require_strong_isolation: true',
      `  call_lease_ms: ${leaseMs}`,
      `  image: ${JSON.stringify(TEST_IMAGE)}`,
      '',
    ].join('\n');
    writeFileSync(join(dataDir, 'config.yaml'), config);
  }

  async function startGateway(): Promise<{ p: CliProcess; url: string }> {
    const p = spawnCli(['start', '--data-dir', dataDir, '--port', '0'], env);
    children.push(p);
    const [, url] = await p.waitFor(/listening on (http:\/\/[^\s]+) /, 180_000);
    return { p, url: url! };
  }

  async function api(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(new URL(path, url), {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  async function auditedAction(url: string, conversation: string): Promise<any> {
    const events = (await api(url, 'GET', '/api/audit?limit=1000')).body.events as Array<{ type: string; conversation_id: string | null; details: { action_id?: string } }>;
    const requested = events.filter((e) => e.type === 'action-requested' && e.conversation_id === conversation).at(-1);
    expect(requested?.details.action_id).toBeTruthy();
    return (await api(url, 'GET', `/api/actions/${requested!.details.action_id}`)).body;
  }

  it('a program that finished while its gateway was frozen, then killed, is recorded as completed after the restart', async () => {
    const conversation = 'crash-truth-finished';
    const workspace = join(dataDir, 'workspaces', conversationKey(conversation));
    // A long lease: the frozen gateway's call is not stopped before its program is done.
    writeConfig(30_000);
    const first = await startGateway();
    void api(first.url, 'POST', '/api/actions', {
      action_type: 'skill_execution',
      conversation_id: conversation,
      skill: 'shell',
      operation: 'run',
      arguments: { argv: ['sh', '-c', 'touch /workspace/started; sleep 0.5; touch /workspace/done'], timeout_ms: 60_000 },
    }).catch(() => undefined);
    await expect.poll(() => existsSync(join(workspace, 'started')), { timeout: 180_000, interval: 50 }).toBe(true);
    // Frozen: the program finishes (well within the call's lease), but nobody reads its answer.
    // The restarted gateway must find out from the agent, not assume "interrupted".
    first.p.child.kill('SIGSTOP');
    await expect.poll(() => existsSync(join(workspace, 'done')), { timeout: 10_000, interval: 50 }).toBe(true);
    first.p.child.kill('SIGKILL');
    await first.p.exited;

    const second = await startGateway();
    const action = await auditedAction(second.url, conversation);
    expect(action).toMatchObject({ status: 'succeeded', result: { recovered_after_restart: true, exit_code: 0 } });
    expect(action.transitions.filter((t: { to: string }) => t.to === 'running')).toHaveLength(1);
    second.p.child.kill('SIGKILL');
    await second.p.exited;
  }, 600_000);

  it('kill -9 during `sleep 6; touch /workspace/done`: after the restart the record and the workspace agree', async () => {
    const workspace = join(dataDir, 'workspaces', conversationKey(CONVERSATION));
    writeConfig(3_000);
    const first = await startGateway();
    // Not awaited: the answer never comes, the gateway dies first.
    void api(first.url, 'POST', '/api/actions', {
      action_type: 'skill_execution',
      conversation_id: CONVERSATION,
      skill: 'shell',
      operation: 'run',
      arguments: { argv: ['sh', '-c', 'touch /workspace/started; sleep 6; touch /workspace/done'], timeout_ms: 60_000 },
    }).catch(() => undefined);
    await expect.poll(() => existsSync(join(workspace, 'started')), { timeout: 180_000, interval: 100 }).toBe(true);
    first.p.child.kill('SIGKILL');
    await first.p.exited;

    // No gateway at all now: only the helper's lease can stop the program. Wait past the moment
    // it would have finished had it kept running.
    await new Promise((r) => setTimeout(r, 8_000));
    expect(existsSync(join(workspace, 'done'))).toBe(false);

    const second = await startGateway();
    const action = await auditedAction(second.url, CONVERSATION);
    expect(action.status).toBe('failed');
    expect(action.error).toMatch(/interrupted by a gateway restart; its program was stopped in the agent; not run again/);
    expect(existsSync(join(workspace, 'done'))).toBe(false);
    // Nothing ran it again: exactly one start, and the record is final.
    expect(action.transitions.filter((t: { to: string }) => t.to === 'running')).toHaveLength(1);
    second.p.child.kill('SIGKILL');
    await second.p.exited;
  }, 600_000);
});
