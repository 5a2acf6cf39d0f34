// The contract harness for the chat-completions stand-in (OpenAI and Mistral flavors): scripts
// turns and reads back what the vendor received, in that wire format.
import type { Provider } from '../../src/providers/provider.js';
import type { FakeChatCompletions } from '../fakes/chat-completions-server.js';
import { vendorTurns } from '../fakes/vendor-script.js';
import type { ContractHarness } from './provider-contract.js';

export function chatCompletionsHarness(
  fake: FakeChatCompletions,
  providers: { provider: Provider; unreachable: Provider; impatient: Provider; model: string },
): ContractHarness {
  const last = () => fake.chatRequests().at(-1);
  return {
    ...providers,
    missingModel: 'no-such-model',
    scriptText: (text) => fake.enqueue(vendorTurns.text(text)),
    scriptToolCalls: (calls) => fake.enqueue(vendorTurns.toolCalls(calls.map((c) => ({ name: c.name, arguments: c.args })))),
    scriptDelay: (ms) => fake.enqueue(vendorTurns.delay(ms)),
    scriptError: (status, message, retryAfterSec) => fake.enqueue(vendorTurns.error(status, message, retryAfterSec)),
    scriptMalformedStream: () => fake.enqueue(vendorTurns.malformed()),
    lastToolResults: () => (last()?.messages ?? []).filter((m) => m.role === 'tool').map((m) => [m.tool_call_id ?? '', typeof m.content === 'string' ? m.content : '']),
    lastSystemPrompt: () => {
      const system = last()?.messages.find((m) => m.role === 'system');
      return typeof system?.content === 'string' ? system.content : '';
    },
    lastToolNames: () => (last()?.tools ?? []).map((t) => t.function.name),
    lastUsage: () => fake.usages.at(-1)!,
    resultsKeyedBy: 'id',
    close: () => fake.close(),
  };
}
