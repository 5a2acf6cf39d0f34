// End to end through the HTTP API: the real gateway, the real ollama client, the fake Ollama.
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

describe('POST /api/messages', () => {
  it('answers a plain message and stores both sides', async () => {
    t.fake.enqueue(turns.text('Hello there!'));
    const res = await t.api('POST', '/api/messages', { conversation_id: 'plain-1', user: 'alice', text: 'hi' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ conversation_id: 'plain-1', status: 'completed', reply: { text: 'Hello there!' }, actions: [], pending_approvals: [] });
    const history = await t.api('GET', '/api/conversations/plain-1/messages');
    expect(history.body.messages.map((m: any) => [m.role, m.content])).toEqual([
      ['user', 'hi'],
      ['assistant', 'Hello there!'],
    ]);
    // The model received the system prompt, the user text and the tool list.
    const sent = t.fake.chatRequests.at(-1)!;
    expect(sent.messages[0]!.role).toBe('system');
    expect(sent.messages.at(-1)).toMatchObject({ role: 'user', content: 'hi' });
    expect(sent.tools!.map((tool) => tool.function.name)).toContain('calc_add');
  });

  it('runs a tool call and feeds its result back to the model', async () => {
    t.fake.enqueue(turns.toolCall('calc_add', { a: 2, b: 40 }), (req) => {
      const tool = req.messages.find((m) => m.role === 'tool');
      return turns.text(`the tool said: ${tool?.content.includes('"sum":42') ? '42' : 'nothing'}`);
    });
    const res = await t.api('POST', '/api/messages', { conversation_id: 'tool-1', text: 'add 2 and 40' });
    expect(res.body.status).toBe('completed');
    expect(res.body.reply.text).toBe('the tool said: 42');
    expect(res.body.actions).toHaveLength(1);
    expect(res.body.actions[0]).toMatchObject({ skill: 'calc', operation: 'add', status: 'succeeded', security_level: 'low' });
    const action = await t.api('GET', `/api/actions/${res.body.actions[0].id}`);
    expect(action.body.result).toEqual({ sum: 42 });
    expect(action.body.transitions.map((x: any) => x.to)).toEqual(['pending', 'approved', 'running', 'succeeded']);
    const toolMessage = t.fake.chatRequests.at(-1)!.messages.find((m) => m.role === 'tool')!;
    expect(toolMessage.tool_name).toBe('calc_add');
  });

  it('returns invalid tool arguments to the model as a tool error', async () => {
    t.fake.enqueue(turns.toolCall('calc_add', { a: 'two', b: 1 }), (req) => {
      const tool = req.messages.find((m) => m.role === 'tool')!;
      return turns.text(`error seen: ${tool.content}`);
    });
    const res = await t.api('POST', '/api/messages', { conversation_id: 'badargs-1', text: 'add' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('completed');
    expect(res.body.reply.text).toMatch(/error seen: Error: Invalid arguments for calc_add: a: /);
    expect(res.body.actions).toEqual([]);
  });

  it('tells the model about an unknown or hostile tool name without running anything', async () => {
    for (const name of ['calc_subtract', '__proto__', 'constructor', 'calc___proto__', 'toString']) {
      t.fake.enqueue(turns.toolCall(name, {}), (req) => turns.text(req.messages.find((m) => m.role === 'tool')!.content));
      const res = await t.api('POST', '/api/messages', { conversation_id: `unknown-${name}`, text: 'go' });
      expect(res.body.status).toBe('completed');
      expect(res.body.reply.text).toContain('Unknown tool');
      expect(res.body.actions).toEqual([]);
    }
  });

  it('stops at the configured maximum of tool rounds', async () => {
    const before = t.fake.chatRequests.length;
    t.fake.setDefaultTurn(turns.toolCall('calc_add', { a: 1, b: 1 }));
    try {
      const res = await t.api('POST', '/api/messages', { conversation_id: 'loop-1', text: 'loop forever' });
      expect(res.body.status).toBe('failed');
      expect(res.body.reply.text).toMatch(/stopped after 4 rounds/);
      expect(t.fake.chatRequests.length - before).toBe(4);
      expect(res.body.actions).toHaveLength(4);
    } finally {
      t.fake.setDefaultTurn((req) => {
        const last = [...req.messages].reverse().find((m) => m.role === 'user');
        return turns.text(last?.content ?? '');
      });
    }
  });

  it('runs two conversations in parallel while each stays in order', async () => {
    // Conversation A's first message holds a tool call open for 400 ms; B must not wait for it,
    // and A's second message must not start before A's first finishes.
    const order: string[] = [];
    t.fake.setDefaultTurn((req) => {
      const last = req.messages.at(-1)!;
      if (last.role === 'user' && last.content === 'A1') return turns.toolCall('calc_slow', { ms: 400, tag: 'A1' });
      if (last.role === 'tool') {
        order.push('A1-done');
        return turns.text('A1 finished');
      }
      order.push(last.content);
      return turns.text(`${last.content} finished`);
    });
    try {
      const a1 = t.api('POST', '/api/messages', { conversation_id: 'par-A', text: 'A1' });
      await new Promise((r) => setTimeout(r, 50));
      const a2 = t.api('POST', '/api/messages', { conversation_id: 'par-A', text: 'A2' });
      const b1 = t.api('POST', '/api/messages', { conversation_id: 'par-B', text: 'B1' });
      const results = await Promise.all([a1, a2, b1]);
      expect(results.map((r) => r.body.reply.text)).toEqual(['A1 finished', 'A2 finished', 'B1 finished']);
      expect(order.indexOf('B1')).toBeLessThan(order.indexOf('A1-done'));
      expect(order.indexOf('A1-done')).toBeLessThan(order.indexOf('A2'));
      const history = await t.api('GET', '/api/conversations/par-A/messages');
      expect(history.body.messages.filter((m: any) => m.role === 'user').map((m: any) => m.content)).toEqual(['A1', 'A2']);
    } finally {
      t.fake.setDefaultTurn((req) => turns.text([...req.messages].reverse().find((m) => m.role === 'user')?.content ?? ''));
    }
  });

  it('answers a clear failure when the model is missing', async () => {
    t.fake.enqueue(turns.modelNotFound('llama3.1'));
    const res = await t.api('POST', '/api/messages', { conversation_id: 'missing-model', text: 'hello' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('failed');
    expect(res.body.reply.text).toMatch(/ollama pull llama3\.1/);
    expect(t.logs.join('')).toMatch(/SS_ERR_PROVIDER_MODEL_NOT_FOUND/);
  });
});

describe('provider down', () => {
  it('answers with a clear message and logs a typed error', async () => {
    const down = await startTestGateway({ config: { provider: { host: 'http://127.0.0.1:9' } } });
    try {
      const res = await down.api('POST', '/api/messages', { conversation_id: 'down-1', text: 'hello?' });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('failed');
      expect(res.body.reply.text).toMatch(/not reachable/);
      expect(down.logs.join('')).toMatch(/SS_ERR_PROVIDER_UNREACHABLE/);
      const health = await down.api('GET', '/api/health');
      expect(health.status).toBe(503);
      expect(health.body.provider.ok).toBe(false);
      // Health names the Node.js running the gateway (the tested one: >= 22, not end of life).
      expect(health.body.runtime.node).toMatchObject({ version: process.versions.node, ok: true });
      // The user's message is still stored: nothing acknowledged is lost.
      const history = await down.api('GET', '/api/conversations/down-1/messages');
      expect(history.body.messages[0]).toMatchObject({ role: 'user', content: 'hello?' });
    } finally {
      await down.close();
    }
  });
});

describe('turn timeout', () => {
  it('stops a turn that runs past orchestrator.turn_timeout_ms and says so', async () => {
    const slow = await startTestGateway({ config: { orchestrator: { turn_timeout_ms: 300 } } });
    try {
      slow.fake.enqueue(turns.delay(3_000, turns.text('too late')));
      const res = await slow.api('POST', '/api/messages', { conversation_id: 'slow-1', text: 'take your time' });
      expect(res.body.status).toBe('failed');
      expect(res.body.reply.text).toBe('This turn took longer than 300 ms and was stopped.');
      expect(slow.logs.join('')).toMatch(/turn timed out/);
    } finally {
      await slow.close();
    }
  });
});
