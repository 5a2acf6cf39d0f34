// Approvals across a real crash: `securesphere start` in a child process, killed with SIGKILL
// while an approval is pending. After a restart the request is still answerable and the step
// runs exactly once; a step approved while the gateway is down (with the real CLI, --offline)
// runs exactly once at start-up and never again after another kill.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turns, type FakeChatRequest } from '../fakes/ollama-server.js';
import { runCli } from '../helpers/cli.js';
import { openKillableGateway, type KillableGateway } from '../helpers/killable-gateway.js';

const TOKEN = 'approvals-kill-token-123456';
let gateway: KillableGateway;

beforeAll(async () => {
  gateway = await openKillableGateway({
    token: TOKEN,
    tmpPrefix: 'securesphere-approvals-kill-',
    config: [
      'policy:',
      // The operator's token is api:operator; bob decides offline with --as.
      "  approvers: ['api:operator', 'api:bob']",
      "  admins: ['api:root']",
    ],
  });
});

afterAll(() => gateway.close());

function answerWithToolResult(req: FakeChatRequest) {
  const tool = [...req.messages].reverse().find((m) => m.role === 'tool');
  return turns.text(`result: ${tool?.content ?? 'none'}`);
}

async function askForWipe(url: string, conversation: string, target: string) {
  gateway.fake.enqueue(turns.toolCall('calc_wipe', { target }));
  const res = await gateway.api(url, 'POST', '/api/messages', { conversation_id: conversation, user: 'alice', text: `please wipe ${target}` });
  expect(res.status).toBe(200);
  expect(res.body.status).toBe('awaiting_approval');
  expect(res.body.pending_approvals).toHaveLength(1);
  return res.body.pending_approvals[0] as { id: string; action_id: string };
}

async function runsOf(url: string, actionId: string): Promise<{ status: string; runs: number }> {
  const res = await gateway.api(url, 'GET', `/api/actions/${actionId}`);
  return { status: res.body.status, runs: res.body.transitions.filter((t: { to: string }) => t.to === 'running').length };
}

async function lastReply(url: string, conversation: string): Promise<string> {
  const res = await gateway.api(url, 'GET', `/api/conversations/${conversation}/messages`);
  const assistant = (res.body.messages as Array<{ role: string; content: string }>).filter((m) => m.role === 'assistant');
  return assistant.at(-1)?.content ?? '';
}

describe('approvals across SIGKILL', () => {
  it('killed while pending: after restart the request is answerable, runs once, and the reply continues', async () => {
    const first = await gateway.start();
    const pending = await askForWipe(first.url, 'kill-pending', 'tmp');
    await gateway.kill(first);

    const second = await gateway.start();
    const listed = await gateway.api(second.url, 'GET', '/api/approvals?status=pending');
    expect(listed.body.approvals.map((a: { id: string }) => a.id)).toContain(pending.id);
    gateway.fake.enqueue(answerWithToolResult);
    const approved = await gateway.api(second.url, 'POST', `/api/approvals/${pending.id}/approve`, {});
    expect(approved.status).toBe(200);
    await expect.poll(() => runsOf(second.url, pending.action_id), { timeout: 30_000 }).toEqual({ status: 'succeeded', runs: 1 });
    await expect.poll(() => lastReply(second.url, 'kill-pending'), { timeout: 30_000 }).toContain('"done":"wipe"');
    const again = await gateway.api(second.url, 'POST', `/api/approvals/${pending.id}/approve`, {});
    expect(again.status).toBe(409);
    await gateway.kill(second);
  }, 120_000);

  it('approved while the gateway is down (CLI --offline), before execution: runs exactly once at start-up', async () => {
    const first = await gateway.start();
    const pending = await askForWipe(first.url, 'kill-approved', 'cache');
    await gateway.kill(first);

    const cli = await runCli(['approvals', 'approve', pending.id, '--as', 'api:bob', '--offline', '--data-dir', gateway.dataDir], gateway.env);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`approved ${pending.id}`);

    gateway.fake.enqueue(answerWithToolResult);
    const second = await gateway.start();
    await expect.poll(() => runsOf(second.url, pending.action_id), { timeout: 30_000 }).toEqual({ status: 'succeeded', runs: 1 });
    await expect.poll(() => lastReply(second.url, 'kill-approved'), { timeout: 30_000 }).toContain('"target":"cache"');
    await gateway.kill(second);

    const third = await gateway.start();
    expect(await runsOf(third.url, pending.action_id)).toEqual({ status: 'succeeded', runs: 1 });
    await gateway.kill(third);
  }, 120_000);
});
