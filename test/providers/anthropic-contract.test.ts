// The shared Provider contract against the Anthropic provider, on the official
// `@anthropic-ai/sdk` pointed (baseURL) at the Messages API stand-in.
import { describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../../src/providers/vendors/anthropic/provider.js';
import { startFakeAnthropic } from '../fakes/anthropic-server.js';
import { vendorTurns } from '../fakes/vendor-script.js';
import { closedPortUrl } from '../helpers/ports.js';
import { describeProviderContract } from './provider-contract.js';

describeProviderContract('anthropic', async () => {
  const fake = await startFakeAnthropic({ apiKey: 'ant-test', models: ['claude-test'] });
  const down = await closedPortUrl();
  const make = (baseUrl: string, timeoutMs = 5_000) => createAnthropicProvider({ name: 'p', model: 'claude-test', baseUrl, apiKey: 'ant-test', timeoutMs });
  const last = () => fake.messageRequests().at(-1);
  return {
    provider: make(fake.url),
    unreachable: make(down),
    impatient: make(fake.url, 150),
    model: 'claude-test',
    missingModel: 'claude-none',
    scriptText: (text) => fake.enqueue(vendorTurns.text(text)),
    scriptToolCalls: (calls) => fake.enqueue(vendorTurns.toolCalls(calls.map((c) => ({ name: c.name, arguments: c.args })))),
    scriptDelay: (ms) => fake.enqueue(vendorTurns.delay(ms)),
    scriptError: (status, message, retryAfterSec) => fake.enqueue(vendorTurns.error(status, message, retryAfterSec)),
    scriptMalformedStream: () => fake.enqueue(vendorTurns.malformed()),
    lastToolResults: () =>
      (last()?.messages ?? []).flatMap((m) =>
        typeof m.content === 'string' ? [] : m.content.filter((b) => b.type === 'tool_result').map((b): [string, string] => [b.tool_use_id ?? '', typeof b.content === 'string' ? b.content : '']),
      ),
    lastSystemPrompt: () => {
      const system = last()?.system;
      return typeof system === 'string' ? system : '';
    },
    lastToolNames: () => (last()?.tools ?? []).map((t) => t.name),
    lastUsage: () => fake.usages.at(-1)!,
    resultsKeyedBy: 'id',
    close: () => fake.close(),
  };
});

describe('Anthropic provider specifics', () => {
  it('sends max_tokens (profile or 4096), tool schemas as input_schema, and results of one turn in one user message', async () => {
    const fake = await startFakeAnthropic({ apiKey: 'k', models: ['c'] });
    try {
      const p = createAnthropicProvider({ name: 'p', model: 'c', baseUrl: fake.url, apiKey: 'k', timeoutMs: 5_000 });
      fake.enqueue(vendorTurns.text('ok'));
      await p.chat({
        model: 'c',
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'toolu_1', name: 'a_b', arguments: { q: 1 } }, { id: 'toolu_2', name: 'a_c', arguments: '{"r":2}' }] },
          { role: 'tool', content: 'r1', toolCallId: 'toolu_1', toolName: 'a_b' },
          { role: 'tool', content: 'r2', toolCallId: 'toolu_2', toolName: 'a_c' },
        ],
        tools: [{ name: 'a_b', description: 'd', parameters: { type: 'object', properties: { q: { type: 'number' } } } }],
      });
      const sent = fake.messageRequests().at(-1)!;
      expect(sent.max_tokens).toBe(4096);
      expect(sent.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
      expect(sent.messages[1]!.content).toEqual([
        { type: 'tool_use', id: 'toolu_1', name: 'a_b', input: { q: 1 } },
        { type: 'tool_use', id: 'toolu_2', name: 'a_c', input: { r: 2 } },
      ]);
      expect(sent.tools![0]!.input_schema).toMatchObject({ type: 'object', properties: { q: { type: 'number' } } });
      // An empty assistant turn (no text, no tool call) is left out, never sent as a blank block.
      fake.enqueue(vendorTurns.text('ok'));
      await p.chat({ model: 'c', messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: '' }, { role: 'user', content: 'b' }], tools: [] });
      expect(fake.messageRequests().at(-1)!.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }]);
      const headers = fake.requests.at(-1)!.headers;
      expect(headers['x-api-key'] ?? headers.authorization).toMatch(/^(Bearer )?k$/);
    } finally {
      await fake.close();
    }
  });
});
