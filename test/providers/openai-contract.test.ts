// The shared Provider contract against the OpenAI provider, on the official `openai` SDK
// pointed (base URL) at the chat-completions stand-in.
import { describe, expect, it } from 'vitest';
import { createOpenAIProvider } from '../../src/providers/vendors/openai/provider.js';
import { startFakeChatCompletions } from '../fakes/chat-completions-server.js';
import { vendorTurns } from '../fakes/vendor-script.js';
import { closedPortUrl } from '../helpers/ports.js';
import { chatCompletionsHarness } from './chat-completions-harness.js';
import { describeProviderContract } from './provider-contract.js';

describeProviderContract('openai', async () => {
  const fake = await startFakeChatCompletions({ flavor: 'openai', apiKey: 'sk-test', models: ['gpt-test'] });
  const down = await closedPortUrl();
  const make = (baseUrl: string, timeoutMs = 5_000) => createOpenAIProvider({ name: 'p', model: 'gpt-test', baseUrl: `${baseUrl}/v1`, apiKey: 'sk-test', timeoutMs });
  return chatCompletionsHarness(fake, { provider: make(fake.url), unreachable: make(down), impatient: make(fake.url, 150), model: 'gpt-test' });
});

describe('OpenAI provider specifics', () => {
  it('sends the key as a Bearer token to the configured base URL and max_completion_tokens from the profile', async () => {
    const fake = await startFakeChatCompletions({ flavor: 'openai', apiKey: 'sk-test', models: ['gpt-test'] });
    try {
      const p = createOpenAIProvider({ name: 'p', model: 'gpt-test', baseUrl: `${fake.url}/v1`, apiKey: 'sk-test', timeoutMs: 5_000, maxOutputTokens: 99 });
      fake.enqueue(vendorTurns.text('ok'));
      await p.chat({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], tools: [] });
      const sent = fake.requests.at(-1)!;
      expect(sent.headers.authorization).toBe('Bearer sk-test');
      expect(fake.chatRequests().at(-1)!.max_completion_tokens).toBe(99);
    } finally {
      await fake.close();
    }
  });
});
