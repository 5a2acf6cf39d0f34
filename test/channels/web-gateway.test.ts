// The web channel as the real gateway wires it (real orchestrator, policy, approvals, store,
// ollama client) with the fake Ollama on a real socket: a message from the page reaches the
// model, a high-risk tool call shows an approval prompt on the page's event stream, the page's
// decision resumes the turn, and the final answer arrives on the same stream.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { startFakeOllama, turns, type FakeOllama } from '../fakes/ollama-server.js';
import { FIXTURE_SKILLS_DIR } from '../helpers/gateway.js';
import { postJson, readEvents, TOKEN } from './web-helpers.js';

describe('web channel in the real gateway', () => {
  let fake: FakeOllama;
  let gateway: Gateway;
  let url: string;
  let dataDir: string;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    fake = await startFakeOllama();
    dataDir = mkdtempSync(join(tmpdir(), 'securesphere-web-'));
    const file = join(dataDir, 'securesphere.yaml');
    writeFileSync(
      file,
      stringify({
        data_dir: dataDir,
        server: { port: 0 },
        provider: { host: fake.url, model: 'llama3.1', timeout_ms: 10_000 },
        skills: { extra_dirs: [FIXTURE_SKILLS_DIR], enabled: ['calc'] },
        logging: { level: 'warn' },
      }),
    );
    const env = { SECURESPHERE_API_TOKEN: TOKEN };
    const { config } = loadConfig({ configPath: file, env });
    // channels.web.enabled defaults to true: the gateway builds the channel and its routes.
    gateway = await createGateway({ config, env, logDestination: { write: () => undefined } });
    url = await gateway.listen();
  });
  afterAll(async () => {
    await gateway?.close();
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a message from the page on its event stream', async () => {
    const events = readEvents(await fetch(`${url}/api/web/events?conversation_id=web-plain`, { headers: auth }));
    fake.enqueue(turns.text('Hello from the model'));
    const res = await postJson(`${url}/api/web/messages`, { conversation_id: 'web-plain', text: 'hi' });
    expect(res.status).toBe(202);
    const [echo, reply] = await events.next(2);
    expect(echo!.data).toMatchObject({ from: 'user', text: 'hi' });
    expect(reply!.data).toMatchObject({ from: 'bot', text: 'Hello from the model' });
    expect(fake.chatRequests.at(-1)!.messages.at(-1)).toMatchObject({ role: 'user', content: 'hi' });
    await events.cancel();
  });

  it('a page retrying a message id gets the answer on its stream: the stored reply again, not a second turn', async () => {
    fake.enqueue(turns.text('the one answer'));
    const first = await postJson(`${url}/api/web/messages`, { conversation_id: 'web-retry', text: 'hello?', client_message_id: 'wc_retry_1' });
    expect(first.status).toBe(202);
    const seen = readEvents(await fetch(`${url}/api/web/events?conversation_id=web-retry`, { headers: auth }));
    const [, reply] = await seen.next(2);
    expect(reply!.data).toMatchObject({ from: 'bot', text: 'the one answer' });
    // 202 means stored and queued; the model has answered once the reply is on the stream.
    const calls = fake.chatRequests.length;
    await seen.cancel();
    // The page (say it missed that answer) resumes after it and sends the same message again.
    const events = readEvents(await fetch(`${url}/api/web/events?conversation_id=web-retry&after=${reply!.data.seq as number}`, { headers: auth }));
    const retry = await postJson(`${url}/api/web/messages`, { conversation_id: 'web-retry', text: 'hello?', client_message_id: 'wc_retry_1' });
    expect(retry.status).toBe(202);
    let answer: string | undefined;
    while (answer === undefined) {
      const [event] = await events.next(1);
      if (event!.data.from === 'bot') answer = event!.data.text as string;
    }
    expect(answer).toBe('the one answer');
    expect(fake.chatRequests.length).toBe(calls);
    await events.cancel();
  });

  it('shows an approval prompt, takes the decision from the page, and finishes the turn', async () => {
    const events = readEvents(await fetch(`${url}/api/web/events?conversation_id=web-approve`, { headers: auth }));
    fake.enqueue(turns.toolCall('calc_wipe', { target: 'scratch' }), (req) => {
      const tool = req.messages.find((m) => m.role === 'tool');
      return turns.text(`done: ${tool?.content.includes('scratch') ? 'scratch wiped' : 'nothing'}`);
    });
    const res = await postJson(`${url}/api/web/messages`, { conversation_id: 'web-approve', text: 'wipe scratch' });
    expect(res.status).toBe(202);

    let approvalId: string | undefined;
    let promptId: string | undefined;
    while (!approvalId) {
      const [event] = await events.next(1);
      const approval = event!.data.approval as { approval_id: string; options: string[]; outcome?: unknown } | undefined;
      if (approval && !approval.outcome) {
        approvalId = approval.approval_id;
        promptId = event!.data.id as string;
        expect(approval.options).toContain('approve');
      }
    }
    const decided = await postJson(`${url}/api/web/approvals`, { approval_id: approvalId, decision: 'approve' });
    expect(decided.status).toBe(200);

    let finalText: string | undefined;
    let sawUpdate = false;
    while (!finalText) {
      const [event] = await events.next(1);
      if (event!.data.replaces === promptId) sawUpdate = true;
      const text = event!.data.text as string;
      if (event!.data.from === 'bot' && text.startsWith('done:')) finalText = text;
    }
    expect(finalText).toBe('done: scratch wiped');
    expect(sawUpdate).toBe(true);
    await events.cancel();

    // A second decision on the same approval is refused with a clear 4xx, not a crash.
    const again = await postJson(`${url}/api/web/approvals`, { approval_id: approvalId, decision: 'deny' });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
  });
});
