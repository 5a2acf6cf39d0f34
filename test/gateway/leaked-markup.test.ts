// A reply carrying leaked template or tool-call markup is cleaned before it reaches the
// channel and the stored history (end to end through the API and the fake model).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turns } from '../fakes/ollama-server.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t.close();
});

describe('leaked markup', () => {
  it('is removed from the reply, the channel message and the history', async () => {
    t.fake.enqueue(turns.text('<|im_start|>assistant\nIt is 4.<tool_call>{"name": "calc_add", "arguments": {"a": 2}}</tool_call> [TOOL_CALLS][{"name": "x"}]<|im_end|>'));
    const res = await t.api('POST', '/api/messages', { conversation_id: 'leak-1', text: 'what is 2+2' });
    expect(res.body.reply.text).toBe('It is 4.');
    expect(t.outbound.at(-1)!.text).toBe('It is 4.');
    const history = await t.api('GET', '/api/conversations/leak-1/messages');
    expect(history.body.messages.at(-1).content).toBe('It is 4.');
  });
});
