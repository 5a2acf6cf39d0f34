// The shared Provider contract against the Mistral provider, on the official
// `@mistralai/mistralai` SDK pointed (serverURL) at the chat-completions stand-in in its
// Mistral flavor (whole tool calls per chunk, usage on the last chunk, Mistral error bodies).
import { describe, expect, it } from 'vitest';
import { createMistralProvider } from '../../src/providers/vendors/mistral/provider.js';
import { startFakeChatCompletions } from '../fakes/chat-completions-server.js';
import { vendorTurns } from '../fakes/vendor-script.js';
import { closedPortUrl } from '../helpers/ports.js';
import { chatCompletionsHarness } from './chat-completions-harness.js';
import { describeProviderContract } from './provider-contract.js';

describeProviderContract('mistral', async () => {
  const fake = await startFakeChatCompletions({ flavor: 'mistral', apiKey: 'mistral-test', models: ['mistral-test'] });
  const down = await closedPortUrl();
  const make = (baseUrl: string, timeoutMs = 5_000) => createMistralProvider({ name: 'p', model: 'mistral-test', baseUrl, apiKey: 'mistral-test', timeoutMs });
  return chatCompletionsHarness(fake, { provider: make(fake.url), unreachable: make(down), impatient: make(fake.url, 150), model: 'mistral-test' });
});

describe('Mistral provider specifics', () => {
  it('sends tool results with the tool name and max_tokens from the profile', async () => {
    const fake = await startFakeChatCompletions({ flavor: 'mistral', apiKey: 'k', models: ['m'] });
    try {
      const p = createMistralProvider({ name: 'p', model: 'm', baseUrl: fake.url, apiKey: 'k', timeoutMs: 5_000, maxOutputTokens: 42 });
      fake.enqueue(vendorTurns.text('ok'));
      await p.chat({
        model: 'm',
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'abc123xyz', name: 't_op', arguments: { q: 1 } }] },
          { role: 'tool', content: 'r', toolCallId: 'abc123xyz', toolName: 't_op' },
        ],
        tools: [],
      });
      const sent = fake.chatRequests().at(-1)!;
      expect(sent.max_tokens).toBe(42);
      expect(sent.messages[2]).toMatchObject({ role: 'tool', tool_call_id: 'abc123xyz', name: 't_op', content: 'r' });

      // Ids from another vendor become 9-character alphanumeric ones, the same for call and result.
      fake.enqueue(vendorTurns.text('ok'));
      await p.chat({
        model: 'm',
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'call_Abc-123_from_openai', name: 't_op', arguments: {} }] },
          { role: 'tool', content: 'r', toolCallId: 'call_Abc-123_from_openai', toolName: 't_op' },
        ],
        tools: [],
      });
      const mapped = fake.chatRequests().at(-1)!;
      const callId = mapped.messages[1]!.tool_calls![0]!.id;
      expect(callId).toMatch(/^[a-zA-Z0-9]{9}$/);
      expect(mapped.messages[2]!.tool_call_id).toBe(callId);
      expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer k');
    } finally {
      await fake.close();
    }
  });
});
