// Usage accounting and daily budgets through the whole gateway: every model call's tokens are
// stored with profile, model, conversation and user; GET /api/usage and `securesphere usage`
// report exactly what the vendor stand-in said it used; a user over the daily budget is
// refused like a rate limit and told once.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeChatCompletions, type FakeChatCompletions } from '../fakes/chat-completions-server.js';
import { vendorTurns } from '../fakes/vendor-script.js';
import { runCli } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const providers = (fake: FakeChatCompletions) => ({
  profiles: { main: { type: 'openai', model: 'gpt-main', base_url: `${fake.url}/v1`, api_key: '${env:MAIN_KEY}', timeout_ms: 5_000 } },
});

describe('usage accounting', () => {
  let fake: FakeChatCompletions;
  let t: TestGateway;
  beforeAll(async () => {
    fake = await startFakeChatCompletions({ flavor: 'openai', apiKey: 'k', models: ['gpt-main'] });
    t = await startTestGateway({ env: { MAIN_KEY: 'k' }, config: { providers: providers(fake) } });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('totals per profile, conversation and user equal the stand-in\'s numbers; the CLI prints the same', async () => {
    const start = Date.now();
    fake.enqueue(vendorTurns.text('one'));
    await t.api('POST', '/api/messages', { conversation_id: 'u-1', user: 'alice', text: 'first question' });
    const aliceFirst = fake.usages.length;
    // A tool round (an unknown tool: refused without a sandbox): two model calls in one turn.
    fake.enqueue(vendorTurns.toolCall('no_such_tool', { a: 1 }), vendorTurns.text('three'));
    await t.api('POST', '/api/messages', { conversation_id: 'u-1', user: 'alice', text: 'add one and two' });
    const aliceCalls = fake.usages.slice(0, fake.usages.length);
    fake.enqueue(vendorTurns.text('hello bob'));
    await t.api('POST', '/api/messages', { conversation_id: 'u-2', user: 'bob', text: 'hi' });
    expect(aliceFirst).toBe(1);
    const sum = (list: typeof fake.usages) => ({ input_tokens: list.reduce((n, u) => n + u.input, 0), output_tokens: list.reduce((n, u) => n + u.output, 0), calls: list.length });

    const all = await t.api('GET', `/api/usage?since=${start}`);
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ total: sum(fake.usages), by_profile: { main: sum(fake.usages) } });
    expect(all.body.total.calls).toBe(4);
    const alice = await t.api('GET', '/api/usage?user=api:alice');
    expect(alice.body.total).toEqual(sum(aliceCalls));
    const bob = await t.api('GET', '/api/usage?conversation_id=u-2');
    expect(bob.body.total).toEqual(sum(fake.usages.slice(3)));
    const future = await t.api('GET', `/api/usage?since=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(future.body.total).toEqual({ input_tokens: 0, output_tokens: 0, calls: 0 });
    expect((await t.api('GET', '/api/usage?since=yesterday')).status).toBe(400);

    const cli = await runCli(['usage', '--json', '--config', join(t.dataDir, 'securesphere.yaml')], { MAIN_KEY: 'k' });
    expect(JSON.parse(cli.stdout)).toEqual(all.body);
    const table = await runCli(['usage', '--user', 'api:alice', '--config', join(t.dataDir, 'securesphere.yaml')], { MAIN_KEY: 'k' });
    expect(table.stdout).toMatch(new RegExp(`^main\\s+${sum(aliceCalls).input_tokens}\\s+${sum(aliceCalls).output_tokens}\\s+3$`, 'm'));
  }, 60_000);
});

describe('daily token budgets', () => {
  let fake: FakeChatCompletions;
  let t: TestGateway;
  beforeAll(async () => {
    fake = await startFakeChatCompletions({ flavor: 'openai', apiKey: 'k', models: ['gpt-main'] });
    t = await startTestGateway({ env: { MAIN_KEY: 'k' }, config: { providers: providers(fake), budgets: { per_user_daily_tokens: 10 } } });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('refuses a user over the budget until midnight, tells them once, and leaves other users alone', async () => {
    fake.enqueue(vendorTurns.text('a long enough answer to use up the tiny budget'));
    const first = await t.api('POST', '/api/messages', { conversation_id: 'b-1', user: 'carol', text: 'a question with some words in it' });
    expect(first.body.status).toBe('completed');
    const calls = fake.usages.length;

    const outboundBefore = t.outbound.length;
    const second = await t.api('POST', '/api/messages', { conversation_id: 'b-1', user: 'carol', text: 'again' });
    expect(second.status).toBe(429);
    expect(second.body.error.message).toMatch(/You have used your daily language-model budget \(10 tokens\); it resets at 00:00 UTC/);
    const third = await t.api('POST', '/api/messages', { conversation_id: 'b-1', user: 'carol', text: 'and again' });
    expect(third.status).toBe(429);
    expect(fake.usages.length).toBe(calls); // the model was not called for a refused message
    // Told once: one notice on the channel for two refusals.
    expect(t.outbound.slice(outboundBefore).filter((m) => /daily language-model budget/.test(m.text))).toHaveLength(1);

    fake.enqueue(vendorTurns.text('hi dave'));
    const other = await t.api('POST', '/api/messages', { conversation_id: 'b-2', user: 'dave', text: 'hi' });
    expect(other.body.status).toBe('completed');
  });
});
