// Provider profiles end to end through the HTTP API: a turn the backup answered says so and
// stores which profile wrote it; /api/health and `doctor` show each profile's last error and
// skip time; every profile down fails the turn with a clear message.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, turns, type FakeOllama } from '../fakes/ollama-server.js';
import { startFakeChatCompletions, type FakeChatCompletions } from '../fakes/chat-completions-server.js';
import { vendorTurns } from '../fakes/vendor-script.js';
import { runCli } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let main: FakeChatCompletions;
let local: FakeOllama;
let t: TestGateway;
beforeAll(async () => {
  main = await startFakeChatCompletions({ flavor: 'openai', apiKey: 'k-main', models: ['gpt-main'] });
  local = await startFakeOllama({ models: ['llama3.1'] });
  t = await startTestGateway({
    fake: local,
    env: { MAIN_KEY: 'k-main' },
    config: {
      providers: {
        default: 'main',
        failover: ['main', 'local'],
        profiles: {
          main: { type: 'openai', model: 'gpt-main', base_url: `${main.url}/v1`, api_key: '${env:MAIN_KEY}', timeout_ms: 5_000 },
          local: { type: 'ollama', model: 'llama3.1', base_url: local.url, timeout_ms: 5_000 },
        },
      },
    },
  });
});
afterAll(async () => {
  await t?.close();
  await main?.close();
  await local?.close();
});

describe('provider profiles through the gateway', () => {
  it('answers through the default profile and stores which profile and model wrote the reply', async () => {
    main.enqueue(vendorTurns.text('from main'));
    const res = await t.api('POST', '/api/messages', { conversation_id: 'prof-1', text: 'hi' });
    expect(res.body.reply).toEqual({ text: 'from main', profile: 'main', model: 'gpt-main' });
    const history = await t.api('GET', '/api/conversations/prof-1/messages');
    expect(history.body.messages.at(-1)).toMatchObject({ role: 'assistant', content: 'from main', profile: 'main', model: 'gpt-main' });
  });

  it('a turn the backup answered says which profile answered; health and doctor show the failed profile', async () => {
    main.enqueue(vendorTurns.error(429, 'slow down', 120));
    local.enqueue(turns.text('from local'));
    const res = await t.api('POST', '/api/messages', { conversation_id: 'prof-2', text: 'hi' });
    expect(res.body.status).toBe('completed');
    expect(res.body.reply.text).toBe('from local\n\n(answered by profile "local", ollama llama3.1: profile "main" could not answer)');
    expect(t.outbound.at(-1)!.text).toBe(res.body.reply.text);
    const history = await t.api('GET', '/api/conversations/prof-2/messages');
    // The history keeps the model's own words, with the profile that wrote them.
    expect(history.body.messages.at(-1)).toMatchObject({ content: 'from local', profile: 'local', model: 'llama3.1' });

    const health = await t.api('GET', '/api/health');
    const mainHealth = health.body.provider.profiles.find((p: { profile: string }) => p.profile === 'main');
    expect(mainHealth.last_error.code).toBe('SS_ERR_PROVIDER_RATE_LIMITED');
    expect(Date.parse(mainHealth.skipped_until)).toBeGreaterThan(Date.now() + 60_000);

    // doctor is another process: it reads the state the gateway stored.
    const doctor = await runCli(['doctor', '--data-dir', t.dataDir, '--config', join(t.dataDir, 'securesphere.yaml')], { MAIN_KEY: 'k-main', SECURESPHERE_API_TOKEN: 'x' });
    expect(doctor.stdout).toMatch(/provider main \(openai gpt-main\): .*last error .*rate limiting.*skipped until/);
  }, 60_000);

  it('every profile down: a failed turn and a clear message to the user', async () => {
    local.enqueue(turns.error('runner crashed', 500));
    // main is still skipped (rate limited above); local fails: nothing can answer.
    const res = await t.api('POST', '/api/messages', { conversation_id: 'prof-3', text: 'hi' });
    expect(res.body.status).toBe('failed');
    expect(res.body.reply.text).toMatch(/^Sorry, no language model could answer right now/);
    expect(t.outbound.at(-1)!.text).toBe(res.body.reply.text);
  });
});
