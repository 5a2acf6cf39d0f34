// The shared Provider contract, run against the Ollama provider and the fake Ollama server.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createOllamaProvider } from '../../src/providers/vendors/ollama/provider.js';
import { startFakeOllama, turns } from '../fakes/ollama-server.js';
import { describeProviderContract } from './provider-contract.js';

describeProviderContract('ollama', async () => {
  const fake = await startFakeOllama({ models: ['llama3.1'] });
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  return {
    provider: createOllamaProvider({ host: fake.url, model: 'llama3.1', timeoutMs: 5_000 }),
    unreachable: createOllamaProvider({ host: `http://127.0.0.1:${port}`, model: 'llama3.1', timeoutMs: 5_000 }),
    impatient: createOllamaProvider({ host: fake.url, model: 'llama3.1', timeoutMs: 150 }),
    model: 'llama3.1',
    missingModel: 'not-pulled',
    scriptText: (text) => fake.enqueue(turns.text(text)),
    scriptToolCalls: (calls) => fake.enqueue(turns.toolCalls(calls.map((c) => ({ name: c.name, arguments: c.args })))),
    scriptDelay: (ms) => fake.enqueue(turns.delay(ms)),
    scriptError: (status, message, retryAfterSec) => fake.enqueue({ type: 'error', status, message, ...(retryAfterSec !== undefined ? { retryAfterSec } : {}) }),
    scriptMalformedStream: () => fake.enqueue({ type: 'malformed' }),
    lastToolResults: () =>
      (fake.chatRequests.at(-1)?.messages ?? []).filter((m) => m.role === 'tool').map((m) => [m.tool_name ?? '', m.content]),
    lastSystemPrompt: () => fake.chatRequests.at(-1)?.messages.find((m) => m.role === 'system')?.content ?? '',
    lastToolNames: () => (fake.chatRequests.at(-1)?.tools ?? []).map((t) => t.function.name),
    lastUsage: () => fake.usages.at(-1)!,
    resultsKeyedBy: 'name',
    close: () => fake.close(),
  };
});

describe('the Ollama contract harness', () => {
  it('runs the contract against the real Ollama provider and a fake that answers its health probe', async () => {
    const fake = await startFakeOllama({ models: ['llama3.1'] });
    try {
      const provider = createOllamaProvider({ host: fake.url, model: 'llama3.1', timeoutMs: 5_000 });
      expect(provider.name).toBe('ollama');
      expect(await provider.health()).toMatchObject({ ok: true });
    } finally {
      await fake.close();
    }
  });
});
