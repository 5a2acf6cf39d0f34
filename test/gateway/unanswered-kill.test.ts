// A message stored but not answered when the gateway is killed (SIGKILL while the model is
// still thinking) is answered after the restart, and the client's retry with the same
// client_message_id gets that answer instead of silence, without a second turn. A turn that
// failed before the kill was answered (with its apology) and is not run again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turns, type FakeChatRequest } from '../fakes/ollama-server.js';
import { openKillableGateway, type KillableGateway } from '../helpers/killable-gateway.js';

const TOKEN = 'unanswered-kill-token-123456';
let gateway: KillableGateway;

beforeAll(async () => {
  gateway = await openKillableGateway({ token: TOKEN, tmpPrefix: 'securesphere-unanswered-' });
});

afterAll(() => gateway.close());

function post(url: string, body: unknown): Promise<Response> {
  return fetch(new URL('/api/messages', url), {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function history(url: string, conversation: string): Promise<Array<{ role: string; content: string }>> {
  return (await gateway.api(url, 'GET', `/api/conversations/${conversation}/messages`)).body.messages;
}

const lastUserText = (req: FakeChatRequest) => [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
const requestsFor = (text: string) => gateway.fake.chatRequests.filter((r) => lastUserText(r) === text).length;

describe('a message the gateway died before answering', () => {
  it('is answered after a restart, and the retry with the same client_message_id gets that answer', async () => {
    const first = await gateway.start();
    // A turn that fails is answered with an apology before the kill: it must not run again.
    gateway.fake.enqueue(turns.error('model crashed', 500));
    const failed = await post(first.url, { conversation_id: 'failed-before', user: 'alice', text: 'this one failed' });
    expect(((await failed.json()) as { status: string }).status).toBe('failed');
    expect(requestsFor('this one failed')).toBe(1);

    // The model is still thinking when the gateway is killed: the message is stored, unanswered.
    gateway.fake.enqueue(turns.delay(20_000, turns.text('too late')));
    const pending = post(first.url, { conversation_id: 'crash-1', user: 'alice', text: 'hello before the crash', client_message_id: 'msg-1' }).catch((err: unknown) => err);
    await expect.poll(() => requestsFor('hello before the crash'), { timeout: 20_000 }).toBe(1);
    await gateway.kill(first);
    expect(await pending).toBeInstanceOf(Error); // the client saw no answer

    gateway.fake.enqueue((req) => turns.text(`answer to: ${lastUserText(req)}`));
    const second = await gateway.start();
    await expect.poll(async () => (await history(second.url, 'crash-1')).at(-1), { timeout: 30_000 }).toMatchObject({ role: 'assistant', content: 'answer to: hello before the crash' });
    expect(requestsFor('hello before the crash')).toBe(2);

    // The client retries: same id, the stored answer, no new turn and no second user message.
    const retry = await post(second.url, { conversation_id: 'crash-1', user: 'alice', text: 'hello before the crash', client_message_id: 'msg-1' });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ conversation_id: 'crash-1', status: 'completed', reply: { text: 'answer to: hello before the crash' } });
    expect(requestsFor('hello before the crash')).toBe(2);
    expect((await history(second.url, 'crash-1')).filter((m) => m.role === 'user')).toHaveLength(1);

    // The failed turn was not run again by the restart.
    expect(requestsFor('this one failed')).toBe(1);
    second.p.child.kill('SIGTERM');
    expect(await second.p.exited).toBe(0);
  }, 120_000);
});
