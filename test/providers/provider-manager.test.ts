// The provider manager with real Ollama providers against fake servers: failover only when a
// profile could not answer, user-facing messages without secrets, aggregate health.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { configSchema } from '../../src/config/schema.js';
import { createProviderManagerFromConfig } from '../../src/providers/from-config.js';
import { createOllamaProvider } from '../../src/providers/vendors/ollama/provider.js';
import { createProviderManager, describeProviderErrorForUser } from '../../src/providers/provider-manager.js';
import { startFakeOllama, turns, type FakeOllama } from '../fakes/ollama-server.js';

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('provider manager', () => {
  let primary: FakeOllama;
  let fallback: FakeOllama;
  let downUrl: string;
  beforeAll(async () => {
    primary = await startFakeOllama({ models: ['llama3.1'] });
    fallback = await startFakeOllama({ models: ['qwen2.5'] });
    downUrl = await closedPortUrl();
  });
  afterAll(async () => {
    await primary.close();
    await fallback.close();
  });

  const ollama = (host: string, timeoutMs = 5_000) => createOllamaProvider({ host, timeoutMs });
  const msgs = [{ role: 'user' as const, content: 'hello' }];

  it('fails over from an unreachable profile to the next and says which answered', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const manager = createProviderManager({
      profiles: [
        { name: 'down', provider: ollama(downUrl), model: 'llama3.1' },
        { name: 'backup', provider: ollama(fallback.url), model: 'qwen2.5' },
      ],
      logger: { warn: (obj) => warnings.push(obj) },
    });
    fallback.enqueue(turns.text('from backup'));
    const res = await manager.chat({ messages: msgs, tools: [] });
    expect(res.text).toBe('from backup');
    expect(res.profile).toBe('backup');
    expect(res.model).toBe('qwen2.5');
    expect(fallback.chatRequests.at(-1)!.model).toBe('qwen2.5');
    expect(warnings[0]).toMatchObject({ profile: 'down', code: ERROR_CODES.PROVIDER_UNREACHABLE, next: 'backup' });
  });

  it('fails over on timeout, then tries the slow profile last while it cools down', async () => {
    let t = 0;
    const manager = createProviderManager({
      profiles: [
        { name: 'slow', provider: ollama(primary.url, 150), model: 'llama3.1' },
        { name: 'backup', provider: ollama(fallback.url), model: 'qwen2.5' },
      ],
      now: () => t,
      cooldownMs: 1_000,
    });
    primary.enqueue(turns.delay(10_000));
    const first = await manager.chat({ messages: msgs, tools: [] });
    expect(first.profile).toBe('backup');
    const before = primary.chatRequests.length;
    const second = await manager.chat({ messages: msgs, tools: [] });
    expect(second.profile).toBe('backup');
    expect(primary.chatRequests.length).toBe(before); // cooling: not tried first
    t = 5_000;
    const third = await manager.chat({ messages: msgs, tools: [] });
    expect(third.profile).toBe('slow');
  });

  it('does not fail over on a missing model or a vendor error', async () => {
    const manager = createProviderManager({
      profiles: [
        { name: 'main', provider: ollama(primary.url), model: 'mistral' },
        { name: 'backup', provider: ollama(fallback.url), model: 'qwen2.5' },
      ],
    });
    const before = fallback.chatRequests.length;
    await expect(manager.chat({ messages: msgs, tools: [] })).rejects.toMatchObject({
      code: ERROR_CODES.PROVIDER_MODEL_NOT_FOUND,
    });
    const manager2 = createProviderManager({
      profiles: [
        { name: 'main', provider: ollama(primary.url), model: 'llama3.1' },
        { name: 'backup', provider: ollama(fallback.url), model: 'qwen2.5' },
      ],
    });
    primary.enqueue(turns.error('invalid tool schema', 400));
    await expect(manager2.chat({ messages: msgs, tools: [] })).rejects.toMatchObject({ code: ERROR_CODES.PROVIDER_BAD_REQUEST });
    expect(fallback.chatRequests.length).toBe(before);
  });

  it('throws the last error when every profile is down', async () => {
    const manager = createProviderManager({ profiles: [{ name: 'only', provider: ollama(downUrl), model: 'llama3.1' }] });
    await expect(manager.chat({ messages: msgs, tools: [] })).rejects.toMatchObject({ code: ERROR_CODES.PROVIDER_UNREACHABLE });
  });

  it('streams through the primary, and does not fail over once text was streamed', async () => {
    const manager = createProviderManager({
      profiles: [
        { name: 'main', provider: ollama(primary.url), model: 'llama3.1' },
        { name: 'backup', provider: ollama(fallback.url), model: 'qwen2.5' },
      ],
    });
    primary.enqueue(turns.text('a b c'));
    const deltas: string[] = [];
    const ok = await manager.chatStream({ messages: msgs, tools: [] }, { onText: (d) => deltas.push(d) });
    expect(ok.text).toBe('a b c');
    expect(deltas.join('')).toBe('a b c');

    primary.enqueue({ type: 'error', message: 'boom', midStream: true });
    const before = fallback.chatRequests.length;
    await expect(manager.chatStream({ messages: msgs, tools: [] }, { onText: () => undefined })).rejects.toBeInstanceOf(SecureSphereError);
    expect(fallback.chatRequests.length).toBe(before);
  });

  it('aggregates health across profiles', async () => {
    const manager = createProviderManager({
      profiles: [
        { name: 'down', provider: ollama(downUrl), model: 'llama3.1' },
        { name: 'backup', provider: createOllamaProvider({ host: fallback.url, model: 'qwen2.5', timeoutMs: 5_000 }), model: 'qwen2.5' },
      ],
    });
    const h = await manager.health();
    expect(h.ok).toBe(true);
    expect(h.profiles.map((p) => [p.profile, p.ok])).toEqual([
      ['down', false],
      ['backup', true],
    ]);
    expect(h.detail).toContain('down: down');
  });

  it('builds from config and answers through the configured host', async () => {
    const config = configSchema.parse({ provider: { host: primary.url, model: 'llama3.1', timeout_ms: 5_000 } });
    const manager = createProviderManagerFromConfig(config);
    const res = await manager.chat({ messages: [{ role: 'user', content: 'via config' }], tools: [] });
    expect(res.text).toBe('via config');
    expect((await manager.health()).ok).toBe(true);
  });

  it('describes errors for users briefly, without hosts, credentials or stacks', async () => {
    const p = createOllamaProvider({ host: downUrl.replace('http://', 'http://admin:s3cret@'), timeoutMs: 5_000 });
    const err = await p.chat({ model: 'llama3.1', messages: msgs, tools: [] }).catch((e: unknown) => e);
    const text = describeProviderErrorForUser(err);
    expect(text).toContain('not reachable');
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toMatch(/\n\s+at /);

    const notFound = await ollama(primary.url).chat({ model: 'mistral', messages: msgs, tools: [] }).catch((e: unknown) => e);
    expect(describeProviderErrorForUser(notFound)).toContain('ollama pull mistral');
    expect(describeProviderErrorForUser(new SecureSphereError(ERROR_CODES.PROVIDER_TIMEOUT, 'x'))).toContain('too long');
    expect(describeProviderErrorForUser(new Error('secret internals'))).not.toContain('secret internals');
  });
});
