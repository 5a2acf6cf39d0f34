// The Mistral provider: translation over the official `@mistralai/mistralai` SDK (chat
// complete / stream), with the profile's base_url as the SDK's own serverURL. The SDK's
// retries are off: failover across profiles is the manager's job. Deadlines, error typing,
// stream totals and health are the shared skeleton's (../../vendor-call.ts).
import { HTTPClient, Mistral } from '@mistralai/mistralai';
import * as errors from '@mistralai/mistralai/models/errors';
import type { ChatRequest, Provider } from '../../provider.js';
import { retryAfterMsOf } from '../../provider-errors.js';
import { createVendorProvider } from '../../vendor-call.js';
import type { ProfileSettings, VendorDeps } from '../../vendor.js';
import { fromMistralResponse, stopReasonOf, textOf, toMistralMessages, toMistralTools, usageOf } from './mapping.js';
import { DEFAULT_MISTRAL_BASE_URL } from './defaults.js';

export function createMistralProvider(settings: ProfileSettings, deps: VendorDeps = {}): Provider {
  const baseUrl = settings.baseUrl ?? DEFAULT_MISTRAL_BASE_URL;
  const client = new Mistral({
    apiKey: settings.apiKey ?? '',
    serverURL: baseUrl,
    timeoutMs: settings.timeoutMs + 1_000,
    retryConfig: { strategy: 'none' },
    ...(deps.fetch ? { httpClient: new HTTPClient({ fetcher: deps.fetch }) } : {}),
  });

  function body(request: ChatRequest) {
    const max = request.maxOutputTokens ?? settings.maxOutputTokens;
    return {
      model: request.model || settings.model,
      messages: toMistralMessages(request.messages),
      ...(request.tools.length > 0 ? { tools: toMistralTools(request.tools) } : {}),
      ...(max !== undefined ? { maxTokens: max } : {}),
    };
  }

  return createVendorProvider({
    name: 'mistral',
    vendorLabel: 'Mistral',
    baseUrl,
    settings,
    body,
    complete: async (req, signal) => fromMistralResponse(await client.chat.complete(req, { signal })),
    async stream(req, signal, sink) {
      const stream = await client.chat.stream(req, { signal });
      let nextIndex = 0;
      for await (const event of stream) {
        const chunk = event.data;
        sink.usage(usageOf(chunk.usage));
        const choice = chunk.choices[0];
        if (!choice) continue;
        const piece = textOf(choice.delta.content);
        if (piece) sink.text(piece);
        for (const tc of choice.delta.toolCalls ?? []) {
          const args = tc.function.arguments;
          const index = tc.index ?? nextIndex;
          nextIndex = index + 1;
          sink.toolCallDelta({
            index,
            ...(tc.id ? { id: tc.id } : {}),
            ...(tc.function.name ? { name: tc.function.name } : {}),
            argumentsDelta: typeof args === 'string' ? args : JSON.stringify(args),
          });
        }
        if (choice.finishReason) sink.stop(choice.finishReason);
      }
    },
    stopReasonOf,
    probe: (signal) => client.models.retrieve({ modelId: settings.model }, { signal }),
    classify(err) {
      if (err instanceof errors.RequestTimeoutError) return { timedOut: true };
      if (err instanceof errors.ConnectionError) return { connection: true };
      if (err instanceof errors.MistralError) return { status: err.statusCode, retryAfterMs: retryAfterMsOf(err.rawResponse?.headers), serverMessage: bodyMessage(err.body) };
      return undefined;
    },
  });
}

/** Mistral error bodies: `{"message": ...}` or `{"detail": ...}`. */
function bodyMessage(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { message?: unknown; detail?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
    if (parsed.detail !== undefined) return typeof parsed.detail === 'string' ? parsed.detail : JSON.stringify(parsed.detail);
  } catch {
    // not JSON
  }
  return body;
}
