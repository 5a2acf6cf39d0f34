// Approvals across a real crash: `securesphere start` in a child process, killed with SIGKILL
// while an approval is pending. After a restart the request is still answerable and the step
// runs exactly once; a step approved while the gateway is down (with the real CLI, --offline)
// runs exactly once at start-up and never again after another kill.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, turns, type FakeChatRequest, type FakeOllama } from '../fakes/ollama-server.js';
import { runCli, spawnCli, type CliProcess } from '../helpers/cli.js';
import { FIXTURE_SKILLS_DIR } from '../helpers/gateway.js';

const TOKEN = 'approvals-kill-token-123456';
let fake: FakeOllama;
let dataDir: string;
let env: Record<string, string>;
const children: CliProcess[] = [];

beforeAll(async () => {
  fake = await startFakeOllama();
  dataDir = mkdtempSync(join(tmpdir(), 'securesphere-approvals-kill-'));
  const config = [
    'skills:',
    `  extra_dirs: [${JSON.stringify(FIXTURE_SKILLS_DIR)}]`,
    '  enabled: [calc]',
    'policy:',
    // The operator's token is api:operator; bob decides offline with --as.
    "  approvers: ['api:operator', 'api:bob']",
    "  admins: ['api:root']",
    'sandbox:',
    '  warm_pool: 0',
    '',
  ].join('\n');
  writeFileSync(join(dataDir, 'config.yaml'), config);
  env = {
    SECURESPHERE_API_TOKEN: TOKEN,
    OLLAMA_HOST: fake.url,
    SECURESPHERE_LOG_LEVEL: 'warn',
    SECURESPHERE_CONFIG: join(dataDir, 'config.yaml'),
  };
});

afterAll(async () => {
  for (const child of children) {
    if (child.child.exitCode === null) child.child.kill('SIGKILL');
    await child.exited;
  }
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function startGateway(): Promise<{ p: CliProcess; url: string }> {
  const p = spawnCli(['start', '--data-dir', dataDir, '--port', '0'], env);
  children.push(p);
  const [, url] = await p.waitFor(/listening on (http:\/\/[^\s]+) /, 60_000);
  return { p, url: url! };
}

async function kill(p: CliProcess): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

 
async function api(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL(path, url), {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

function answerWithToolResult(req: FakeChatRequest) {
  const tool = [...req.messages].reverse().find((m) => m.role === 'tool');
  return turns.text(`result: ${tool?.content ?? 'none'}`);
}

async function askForWipe(url: string, conversation: string, target: string) {
  fake.enqueue(turns.toolCall('calc_wipe', { target }));
  const res = await api(url, 'POST', '/api/messages', { conversation_id: conversation, user: 'alice', text: `please wipe ${target}` });
  expect(res.status).toBe(200);
  expect(res.body.status).toBe('awaiting_approval');
  expect(res.body.pending_approvals).toHaveLength(1);
  return res.body.pending_approvals[0] as { id: string; action_id: string };
}

async function runsOf(url: string, actionId: string): Promise<{ status: string; runs: number }> {
  const res = await api(url, 'GET', `/api/actions/${actionId}`);
  return { status: res.body.status, runs: res.body.transitions.filter((t: { to: string }) => t.to === 'running').length };
}

async function lastReply(url: string, conversation: string): Promise<string> {
  const res = await api(url, 'GET', `/api/conversations/${conversation}/messages`);
  const assistant = (res.body.messages as Array<{ role: string; content: string }>).filter((m) => m.role === 'assistant');
  return assistant.at(-1)?.content ?? '';
}

describe('approvals across SIGKILL', () => {
  it('killed while pending: after restart the request is answerable, runs once, and the reply continues', async () => {
    const first = await startGateway();
    const pending = await askForWipe(first.url, 'kill-pending', 'tmp');
    await kill(first.p);

    const second = await startGateway();
    const listed = await api(second.url, 'GET', '/api/approvals?status=pending');
    expect(listed.body.approvals.map((a: { id: string }) => a.id)).toContain(pending.id);
    fake.enqueue(answerWithToolResult);
    const approved = await api(second.url, 'POST', `/api/approvals/${pending.id}/approve`, {});
    expect(approved.status).toBe(200);
    await expect.poll(() => runsOf(second.url, pending.action_id), { timeout: 30_000 }).toEqual({ status: 'succeeded', runs: 1 });
    await expect.poll(() => lastReply(second.url, 'kill-pending'), { timeout: 30_000 }).toContain('"done":"wipe"');
    const again = await api(second.url, 'POST', `/api/approvals/${pending.id}/approve`, {});
    expect(again.status).toBe(409);
    await kill(second.p);
  }, 120_000);

  it('approved while the gateway is down (CLI --offline), before execution: runs exactly once at start-up', async () => {
    const first = await startGateway();
    const pending = await askForWipe(first.url, 'kill-approved', 'cache');
    await kill(first.p);

    const cli = await runCli(['approvals', 'approve', pending.id, '--as', 'api:bob', '--offline', '--data-dir', dataDir], env);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`approved ${pending.id}`);

    fake.enqueue(answerWithToolResult);
    const second = await startGateway();
    await expect.poll(() => runsOf(second.url, pending.action_id), { timeout: 30_000 }).toEqual({ status: 'succeeded', runs: 1 });
    await expect.poll(() => lastReply(second.url, 'kill-approved'), { timeout: 30_000 }).toContain('"target":"cache"');
    await kill(second.p);

    const third = await startGateway();
    expect(await runsOf(third.url, pending.action_id)).toEqual({ status: 'succeeded', runs: 1 });
    await kill(third.p);
  }, 120_000);
});
