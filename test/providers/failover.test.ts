// Profiles and failover, built from config like the gateway builds them, against vendor
// stand-ins on real sockets: the next profile answers once when the first is down, rate
// limited or too slow; a profile that named a retry time is not called before it; a refused
// key is reported, not hidden by failover; every profile down is one clear error.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { ERROR_CODES, isSecureSphereError } from '../../src/core/errors.js';
import { createProvidersFromConfig } from '../../src/providers/from-config.js';
import { describeProviderErrorForUser } from '../../src/providers/user-messages.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic-server.js';
import { startFakeChatCompletions, type FakeChatCompletions } from '../fakes/chat-completions-server.js';
import { vendorTurns } from '../fakes/vendor-script.js';
import { closedPortUrl } from '../helpers/ports.js';

let main: FakeChatCompletions;
let backup: FakeAnthropic;
let down: string;
beforeAll(async () => {
  main = await startFakeChatCompletions({ flavor: 'openai', apiKey: 'k-main', models: ['gpt-main'] });
  backup = await startFakeAnthropic({ apiKey: 'k-backup', models: ['claude-backup'] });
  down = await closedPortUrl();
});
afterAll(async () => {
  await main.close();
  await backup.close();
});
beforeEach(() => {
  main.requests.length = 0;
  backup.requests.length = 0;
});

const env = { MAIN_KEY: 'k-main', BACKUP_KEY: 'k-backup' };
function build(options: { mainUrl?: string; mainTimeoutMs?: number; now?: () => number } = {}) {
  const config = configSchema.parse({
    providers: {
      default: 'main',
      failover: ['main', 'backup'],
      profiles: {
        main: { type: 'openai', model: 'gpt-main', base_url: `${options.mainUrl ?? main.url}/v1`, api_key: '${env:MAIN_KEY}', timeout_ms: options.mainTimeoutMs ?? 5_000 },
        backup: { type: 'anthropic', model: 'claude-backup', base_url: backup.url, api_key: '${env:BACKUP_KEY}', timeout_ms: 5_000 },
      },
    },
  });
  return createProvidersFromConfig(config, { secrets: { env }, ...(options.now ? { now: options.now } : {}) }).manager;
}
const ask = { messages: [{ role: 'user' as const, content: 'hello' }], tools: [] };
const chatCalls = (fake: { requests: Array<{ method: string; path: string }> }) => fake.requests.filter((r) => r.method === 'POST').length;

describe('failover between profiles', () => {
  it('first profile down: the backup answers, once, and the answer says so', async () => {
    const manager = build({ mainUrl: down });
    backup.enqueue(vendorTurns.text('from backup'));
    const res = await manager.chat(ask);
    expect(res).toMatchObject({ text: 'from backup', profile: 'backup', provider: 'anthropic', model: 'claude-backup', failedOverFrom: 'main' });
    expect(chatCalls(backup)).toBe(1);
  });

  it('first profile answers 500: the backup answers once; health shows main\'s last error', async () => {
    const manager = build();
    main.enqueue(vendorTurns.error(500, 'upstream broke'));
    backup.enqueue(vendorTurns.text('ok'));
    expect((await manager.chat(ask)).profile).toBe('backup');
    expect(chatCalls(main)).toBe(1);
    expect(chatCalls(backup)).toBe(1);
    const health = await manager.health();
    expect(health.profiles.find((p) => p.profile === 'main')!.last_error).toMatchObject({ code: ERROR_CODES.PROVIDER_UNAVAILABLE });
  });

  it('first profile slow past its timeout: the backup answers, once', async () => {
    const manager = build({ mainTimeoutMs: 200 });
    main.enqueue(vendorTurns.delay(10_000));
    backup.enqueue(vendorTurns.text('fast backup'));
    const res = await manager.chat(ask);
    expect(res).toMatchObject({ text: 'fast backup', profile: 'backup' });
    expect(chatCalls(backup)).toBe(1);
  });

  it('first profile rate limited with Retry-After: skipped until then, called again after', async () => {
    let t = 1_000_000;
    const manager = build({ now: () => t });
    main.enqueue(vendorTurns.error(429, 'rate limited', 30));
    backup.enqueue(vendorTurns.text('b1'), vendorTurns.text('b2'));
    expect((await manager.chat(ask)).profile).toBe('backup');
    expect(chatCalls(main)).toBe(1);
    const skipped = (await manager.health()).profiles.find((p) => p.profile === 'main')!;
    expect(skipped.skipped_until).toBe(new Date(t + 30_000).toISOString());

    t += 29_000;
    expect((await manager.chat(ask)).text).toBe('b2');
    expect(chatCalls(main)).toBe(1); // not called before its retry time
    t += 2_000;
    main.enqueue(vendorTurns.text('main is back'));
    expect(await manager.chat(ask)).toMatchObject({ text: 'main is back', profile: 'main' });
    expect(chatCalls(main)).toBe(2);
  });

  it('a refused key (401) is reported, not failed over', async () => {
    const manager = build();
    main.enqueue(vendorTurns.error(401, 'bad key'));
    const err = await manager.chat(ask).catch((e: unknown) => e);
    expect(isSecureSphereError(err, ERROR_CODES.PROVIDER_AUTH)).toBe(true);
    expect(chatCalls(backup)).toBe(0);
    expect(describeProviderErrorForUser(err)).toContain('API key');
  });

  it('a bad request (400) and a model without tool support are reported, not failed over', async () => {
    const manager = build();
    main.enqueue(vendorTurns.error(400, "Invalid schema for function 'calc_add'"));
    const bad = await manager.chat(ask).catch((e: unknown) => e);
    expect(isSecureSphereError(bad, ERROR_CODES.PROVIDER_BAD_REQUEST)).toBe(true);
    expect((bad as Error).message).toContain("Invalid schema for function 'calc_add'");
    main.enqueue(vendorTurns.error(400, 'This model does not support tools.'));
    const tools = await manager.chat(ask).catch((e: unknown) => e);
    expect(isSecureSphereError(tools, ERROR_CODES.PROVIDER_TOOLS_UNSUPPORTED)).toBe(true);
    expect(chatCalls(backup)).toBe(0);
  });

  it('every profile down: one clear error naming each, and a calm sentence for the user', async () => {
    const manager = build({ mainUrl: down });
    backup.enqueue(vendorTurns.error(503, 'overloaded'));
    const err = await manager.chat(ask).catch((e: unknown) => e);
    expect(isSecureSphereError(err)).toBe(true);
    expect((err as Error).message).toMatch(/No provider profile could answer\. main: Cannot reach OpenAI.*; backup: Anthropic .* unavailable \(HTTP 503\)/);
    expect(describeProviderErrorForUser(err)).toMatch(/no language model could answer right now/);
    expect(describeProviderErrorForUser(err)).not.toContain('127.0.0.1');
  });

  it('a streamed answer fails over only before the first delta', async () => {
    const manager = build({ mainUrl: down });
    backup.enqueue(vendorTurns.text('streamed from backup'));
    const deltas: string[] = [];
    const res = await manager.chatStream(ask, { onText: (d) => deltas.push(d) });
    expect(res.profile).toBe('backup');
    expect(deltas.join('')).toBe('streamed from backup');
  });
});
