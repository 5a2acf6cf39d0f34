// The Anthropic provider: translation over the official `@anthropic-ai/sdk` (Messages API),
// with the profile's base_url as the SDK's own baseURL. The SDK's retries are off: failover
// across profiles is the manager's job. max_tokens is required by the API: the profile's
// max_output_tokens, else 4096. Deadlines, error typing, stream totals and health are the
// shared skeleton's (../../vendor-call.ts).
import Anthropic from '@anthropic-ai/sdk';
import type { ChatRequest, Provider } from '../../provider.js';
import { retryAfterMsOf } from '../../provider-errors.js';
import { createVendorProvider } from '../../vendor-call.js';
import type { ProfileSettings, VendorDeps } from '../../vendor.js';
import { fromAnthropicMessage, stopReasonOf, toAnthropicRequest, toAnthropicTools } from './mapping.js';
import { DEFAULT_ANTHROPIC_BASE_URL } from './defaults.js';

const DEFAULT_MAX_TOKENS = 4096;

export function createAnthropicProvider(settings: ProfileSettings, deps: VendorDeps = {}): Provider {
  const baseUrl = settings.baseUrl ?? DEFAULT_ANTHROPIC_BASE_URL;
  const client = new Anthropic({
    apiKey: settings.apiKey ?? '',
    baseURL: baseUrl,
    maxRetries: 0,
    timeout: settings.timeoutMs + 1_000,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });

  function body(request: ChatRequest) {
    const { system, messages } = toAnthropicRequest(request.messages);
    return {
      model: request.model || settings.model,
      max_tokens: request.maxOutputTokens ?? settings.maxOutputTokens ?? DEFAULT_MAX_TOKENS,
      messages,
      ...(system !== undefined ? { system } : {}),
      ...(request.tools.length > 0 ? { tools: toAnthropicTools(request.tools) } : {}),
    };
  }

  return createVendorProvider({
    name: 'anthropic',
    vendorLabel: 'Anthropic',
    baseUrl,
    settings,
    body,
    complete: async (req, signal) => fromAnthropicMessage(await client.messages.create({ ...req, stream: false }, { signal })),
    async stream(req, signal, sink) {
      const stream = await client.messages.create({ ...req, stream: true }, { signal });
      let inputTokens: number | undefined;
      let outputTokens: number | undefined;
      // Content-block index -> tool-call ordinal within the turn.
      const toolIndex = new Map<number, number>();
      for await (const event of stream) {
        switch (event.type) {
          case 'message_start':
            inputTokens = event.message.usage.input_tokens;
            outputTokens = event.message.usage.output_tokens;
            break;
          case 'content_block_start':
            if (event.content_block.type === 'tool_use') {
              const d = { index: toolIndex.size, id: event.content_block.id, name: event.content_block.name };
              toolIndex.set(event.index, d.index);
              sink.toolCallDelta(d);
            }
            break;
          case 'content_block_delta':
            if (event.delta.type === 'text_delta') sink.text(event.delta.text);
            else if (event.delta.type === 'input_json_delta') sink.toolCallDelta({ index: toolIndex.get(event.index) ?? 0, argumentsDelta: event.delta.partial_json });
            break;
          case 'message_delta':
            sink.stop(event.delta.stop_reason);
            if (typeof event.usage.output_tokens === 'number') outputTokens = event.usage.output_tokens;
            if (typeof event.usage.input_tokens === 'number') inputTokens = event.usage.input_tokens;
            break;
          default:
            break;
        }
      }
      if (inputTokens !== undefined || outputTokens !== undefined) sink.usage({ inputTokens: inputTokens ?? 0, outputTokens: outputTokens ?? 0 });
    },
    stopReasonOf,
    probe: (signal) => client.models.retrieve(settings.model, {}, { signal }),
    classify(err) {
      if (err instanceof Anthropic.APIConnectionError) return { connection: true };
      if (err instanceof Anthropic.APIError) {
        const body = err.error as { error?: { message?: unknown } } | undefined;
        const said = typeof body?.error?.message === 'string' ? body.error.message : err.message;
        return { status: err.status, retryAfterMs: retryAfterMsOf(err.headers), serverMessage: said };
      }
      return undefined;
    },
  });
}
