// The OpenAI provider: translation over the official `openai` SDK (chat completions), with the
// profile's base_url as the SDK's own baseURL. The SDK's retries are off: failover across
// profiles is the manager's job, and a silent retry would hide a 429 from it. Deadlines, error
// typing, stream totals and health are the shared skeleton's (../../vendor-call.ts).
import OpenAI from 'openai';
import type { ChatRequest, Provider } from '../../provider.js';
import { retryAfterMsOf } from '../../provider-errors.js';
import { createVendorProvider } from '../../vendor-call.js';
import type { ProfileSettings, VendorDeps } from '../../vendor.js';
import { fromOpenAICompletion, stopReasonOf, toOpenAIMessages, toOpenAITools, usageOf } from './mapping.js';
import { DEFAULT_OPENAI_BASE_URL } from './defaults.js';

export function createOpenAIProvider(settings: ProfileSettings, deps: VendorDeps = {}): Provider {
  const baseUrl = settings.baseUrl ?? DEFAULT_OPENAI_BASE_URL;
  const client = new OpenAI({
    apiKey: settings.apiKey ?? '',
    baseURL: baseUrl,
    maxRetries: 0,
    timeout: settings.timeoutMs + 1_000,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });

  function body(request: ChatRequest) {
    const max = request.maxOutputTokens ?? settings.maxOutputTokens;
    return {
      model: request.model || settings.model,
      messages: toOpenAIMessages(request.messages),
      ...(request.tools.length > 0 ? { tools: toOpenAITools(request.tools) } : {}),
      ...(max !== undefined ? { max_completion_tokens: max } : {}),
    };
  }

  return createVendorProvider({
    name: 'openai',
    vendorLabel: 'OpenAI',
    baseUrl,
    settings,
    body,
    complete: async (req, signal) => fromOpenAICompletion(await client.chat.completions.create({ ...req, stream: false }, { signal })),
    async stream(req, signal, sink) {
      const stream = await client.chat.completions.create({ ...req, stream: true, stream_options: { include_usage: true } }, { signal });
      for await (const chunk of stream) {
        sink.usage(usageOf(chunk.usage));
        const choice = chunk.choices[0];
        if (!choice) continue;
        const delta = choice.delta;
        if (delta?.content) sink.text(delta.content);
        for (const tc of delta?.tool_calls ?? []) {
          sink.toolCallDelta({ index: tc.index, ...(tc.id ? { id: tc.id } : {}), ...(tc.function?.name ? { name: tc.function.name } : {}), ...(tc.function?.arguments ? { argumentsDelta: tc.function.arguments } : {}) });
        }
        if (choice.finish_reason) sink.stop(choice.finish_reason);
      }
    },
    stopReasonOf,
    probe: (signal) => client.models.retrieve(settings.model, { signal }),
    classify(err) {
      if (err instanceof OpenAI.APIConnectionError) return { connection: true };
      if (err instanceof OpenAI.APIError) return { status: err.status, retryAfterMs: retryAfterMsOf(err.headers), serverMessage: messageOf(err.error) ?? err.message };
      return undefined;
    },
  });
}

/** The `error.message` of an OpenAI-style error body, when there is one. */
export function messageOf(error: unknown): string | undefined {
  const inner = (error as { message?: unknown; error?: { message?: unknown } } | undefined) ?? undefined;
  const m = inner?.message ?? inner?.error?.message;
  return typeof m === 'string' ? m : undefined;
}
