// The vendor registry and the provider config: a profile is built by the vendor its `type`
// names, unknown types and literal keys are refused with the key named, and vendor-specific
// advice (Ollama's `ollama pull`) comes only from that vendor's errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config/schema.js';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { createProvidersFromConfig, setupHintFor } from '../../src/providers/from-config.js';
import { planProviders, profileFor } from '../../src/providers/profiles-config.js';
import { describeProviderErrorForUser } from '../../src/providers/user-messages.js';
import { VENDORS } from '../../src/providers/vendors/index.js';
import { startFakeAnthropic } from '../fakes/anthropic-server.js';
import { startFakeChatCompletions } from '../fakes/chat-completions-server.js';
import { startFakeGoogle } from '../fakes/google-server.js';

describe('provider registry and profiles config', () => {
  it('refuses an unknown provider type, naming the key and the known types', () => {
    const config = configSchema.parse({ provider: { type: 'nonesuch', model: 'm' } });
    let err: unknown;
    try {
      createProvidersFromConfig(config);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SecureSphereError);
    expect((err as SecureSphereError).code).toBe(ERROR_CODES.CONFIG_INVALID);
    expect((err as Error).message).toContain('provider.type: unknown provider type "nonesuch"');
    for (const v of VENDORS) expect((err as Error).message).toContain(v.type);
  });

  it('refuses a literal api_key and a failover naming no profile', () => {
    const literal = configSchema.safeParse({ providers: { profiles: { main: { type: 'openai', model: 'm', api_key: 'sk-literal' } } } });
    expect(literal.success).toBe(false);
    expect(JSON.stringify(literal.error?.issues)).toContain('references');
    const dangling = configSchema.safeParse({ providers: { failover: ['main', 'ghost'], profiles: { main: { type: 'ollama', model: 'm' } } } });
    expect(dangling.success).toBe(false);
    expect(JSON.stringify(dangling.error?.issues)).toContain('no profile named \\"ghost\\"');
  });

  it('reads provider: as one profile and providers: with default, failover and routes', () => {
    const short = planProviders(configSchema.parse({ provider: { host: 'http://h:1', model: 'x' } }));
    expect(short).toMatchObject({ defaultProfile: 'primary', failover: ['primary'], profiles: [{ name: 'primary', type: 'ollama', model: 'x', host: 'http://h:1' }] });
    const plan = planProviders(
      configSchema.parse({
        providers: {
          default: 'main',
          failover: ['main', 'backup'],
          profiles: { main: { type: 'ollama', model: 'a' }, backup: { type: 'ollama', model: 'b' } },
          routes: [{ channel: 'slack', profile: 'backup' }],
        },
      }),
    );
    expect(plan.failover).toEqual(['main', 'backup']);
    expect(profileFor(plan, { channel: 'slack', conversationId: 'c' })).toBe('backup');
    expect(profileFor(plan, { channel: 'web', conversationId: 'c' })).toBe('main');
  });

  it('uses provider.host (OLLAMA_HOST) only for the vendor that reads it, never as another vendor\'s base URL', async () => {
    const fake = await startFakeChatCompletions({ flavor: 'openai', apiKey: 'k1', models: ['m'] });
    try {
      // An OLLAMA_HOST left in the environment must not redirect an OpenAI profile.
      const config = configSchema.parse({ provider: { type: 'openai', model: 'm', host: 'http://127.0.0.1:9', base_url: `${fake.url}/v1`, api_key: '${env:K}' } });
      const { manager } = createProvidersFromConfig(config, { secrets: { env: { K: 'k1' } } });
      expect((await manager.chat({ messages: [{ role: 'user', content: 'hi' }], tools: [] })).text).toBe('hi');
      const noBase = configSchema.parse({ provider: { type: 'openai', model: 'm', host: fake.url, api_key: '${env:K}' } });
      expect(setupHintFor(noBase, 'primary')).toContain('https://api.openai.com');
    } finally {
      await fake.close();
    }
  });

  it('resolves the api_key reference and hands the key to the redactor, never keeping the reference as the key', () => {
    const seen: string[] = [];
    const config = configSchema.parse({ providers: { profiles: { main: { type: 'ollama', model: 'a', api_key: '${env:TEST_KEY}' } } } });
    createProvidersFromConfig(config, { secrets: { env: { TEST_KEY: 'the-real-key-123' } }, onSecret: (k) => seen.push(k) });
    expect(seen).toEqual(['the-real-key-123']);
    expect(() => createProvidersFromConfig(config, { secrets: { env: {} } })).toThrow(/providers\.profiles\.main\.api_key: environment variable TEST_KEY is not set/);
  });

  it('names a vendor hint only when that vendor put one on the error', () => {
    const generic = describeProviderErrorForUser(new SecureSphereError(ERROR_CODES.PROVIDER_MODEL_NOT_FOUND, 'x', { details: { model: 'gpt-x' } }));
    expect(generic).not.toContain('ollama');
    const hinted = describeProviderErrorForUser(new SecureSphereError(ERROR_CODES.PROVIDER_MODEL_NOT_FOUND, 'x', { details: { userHint: 'run `ollama pull m`' } }));
    expect(hinted).toContain('ollama pull m');
    expect(describeProviderErrorForUser(new SecureSphereError(ERROR_CODES.PROVIDER_RATE_LIMITED, 'x', { details: { retryAfterMs: 30_000 } }))).toContain('30 s');
  });
});

describe('every registered cloud vendor builds from config and answers through its stand-in', () => {
  const cases = [
    { type: 'openai', start: () => startFakeChatCompletions({ flavor: 'openai', apiKey: 'k1', models: ['m'] }), base: (u: string) => `${u}/v1` },
    { type: 'mistral', start: () => startFakeChatCompletions({ flavor: 'mistral', apiKey: 'k1', models: ['m'] }), base: (u: string) => u },
    { type: 'anthropic', start: () => startFakeAnthropic({ apiKey: 'k1', models: ['m'] }), base: (u: string) => u },
    { type: 'google', start: () => startFakeGoogle({ apiKey: 'k1', models: ['m'] }), base: (u: string) => u },
  ];
  for (const c of cases) {
    it(c.type, async () => {
      const fake = await c.start();
      try {
        const config = configSchema.parse({ providers: { profiles: { main: { type: c.type, model: 'm', base_url: c.base(fake.url), api_key: '${env:K}' } } } });
        const { manager } = createProvidersFromConfig(config, { secrets: { env: { K: 'k1' } } });
        const res = await manager.chat({ messages: [{ role: 'user', content: `hello ${c.type}` }], tools: [] });
        expect(res).toMatchObject({ text: `hello ${c.type}`, profile: 'main', provider: c.type, model: 'm' });
        expect(fake.requests.length).toBeGreaterThan(0);
      } finally {
        await fake.close();
      }
    });
  }
});

describe('the documented providers example', () => {
  it('config/securesphere.example.yaml: the commented providers block, uncommented, is a valid config', () => {
    const text = readFileSync(join(process.cwd(), 'config/securesphere.example.yaml'), 'utf8');
    const start = text.indexOf('# providers:');
    const block = text.slice(start, text.indexOf('\n\n', start)).split('\n').map((l) => l.replace(/^# ?/, '')).join('\n');
    const parsed = configSchema.parse(parseYaml(block));
    const plan = planProviders(parsed);
    expect(plan.profiles.map((p) => [p.name, p.type])).toEqual([
      ['main', 'openai'],
      ['backup', 'anthropic'],
      ['local', 'ollama'],
    ]);
    expect(plan.failover).toEqual(['main', 'backup']);
    expect(profileFor(plan, { channel: 'slack', conversationId: 'x' })).toBe('backup');
    for (const p of plan.profiles) expect(VENDORS.some((v) => v.type === p.type)).toBe(true);
  });
});
