// The Mistral provider: translation over the official `@mistralai/mistralai` SDK (chat
// complete / stream), with the profile's base_url as the SDK's own serverURL. The SDK's
// retries are off: failover across profiles is the manager's job.
import { HTTPClient, Mistral } from '@mistralai/mistralai';
import * as errors from '@mistralai/mistralai/models/errors';
import type { ChatRequest, ChatResponse, Provider, ProviderHealth, StreamHandlers } from '../../provider.js';
import { openDeadline } from '../../call-deadline.js';
import { classifyHttpFailure, displayHost, displayModel, malformedStream, providerTimeout, retryAfterMsOf, type FailureContext } from '../../provider-errors.js';
import { createToolCallAssembler } from '../../tool-call-assembler.js';
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
  const ctx = (model: string): FailureContext => ({ vendor: 'Mistral', baseUrl, model, timeoutMs: settings.timeoutMs });

  function failure(err: unknown, model: string, timedOut: boolean, cancelled: boolean): unknown {
    if (timedOut || err instanceof errors.RequestTimeoutError) return providerTimeout(ctx(model), err);
    if (cancelled) return err;
    if (err instanceof errors.ConnectionError) return classifyHttpFailure({ connection: true }, ctx(model), err);
    if (err instanceof errors.MistralError) {
      return classifyHttpFailure({ status: err.statusCode, retryAfterMs: retryAfterMsOf(err.rawResponse?.headers), serverMessage: bodyMessage(err.body) }, ctx(model), err);
    }
    return malformedStream(ctx(model), err);
  }

  function body(request: ChatRequest) {
    const max = request.maxOutputTokens ?? settings.maxOutputTokens;
    return {
      model: request.model || settings.model,
      messages: toMistralMessages(request.messages),
      ...(request.tools.length > 0 ? { tools: toMistralTools(request.tools) } : {}),
      ...(max !== undefined ? { maxTokens: max } : {}),
    };
  }

  async function chat(request: ChatRequest): Promise<ChatResponse> {
    const deadline = openDeadline(settings.timeoutMs, request.signal);
    const req = body(request);
    try {
      return fromMistralResponse(await deadline.run(client.chat.complete(req, { signal: deadline.signal })));
    } catch (err) {
      throw failure(err, req.model, deadline.timedOut, deadline.cancelled);
    } finally {
      deadline.dispose();
    }
  }

  async function chatStream(request: ChatRequest, handlers: StreamHandlers): Promise<ChatResponse> {
    const deadline = openDeadline(settings.timeoutMs, request.signal);
    const req = body(request);
    try {
      return await deadline.run(
        (async () => {
          const stream = await client.chat.stream(req, { signal: deadline.signal });
          let text = '';
          let finish: string | null | undefined;
          let usage: ChatResponse['usage'];
          const calls = createToolCallAssembler();
          let nextIndex = 0;
          for await (const event of stream) {
            const chunk = event.data;
            if (chunk.usage) usage = usageOf(chunk.usage);
            const choice = chunk.choices[0];
            if (!choice) continue;
            const piece = textOf(choice.delta.content);
            if (piece) {
              text += piece;
              handlers.onText(piece);
            }
            for (const tc of choice.delta.toolCalls ?? []) {
              const args = tc.function.arguments;
              const d = {
                index: tc.index ?? nextIndex,
                ...(tc.id ? { id: tc.id } : {}),
                ...(tc.function.name ? { name: tc.function.name } : {}),
                argumentsDelta: typeof args === 'string' ? args : JSON.stringify(args),
              };
              nextIndex = d.index + 1;
              calls.add(d);
              handlers.onToolCallDelta?.(d);
            }
            if (choice.finishReason) finish = choice.finishReason;
          }
          return { text, toolCalls: calls.calls(), stopReason: stopReasonOf(finish), ...(usage ? { usage } : {}) };
        })(),
      );
    } catch (err) {
      throw failure(err, req.model, deadline.timedOut, deadline.cancelled);
    } finally {
      deadline.dispose();
    }
  }

  async function health(): Promise<ProviderHealth> {
    const deadline = openDeadline(Math.min(settings.timeoutMs, 5_000));
    try {
      await deadline.run(client.models.retrieve({ modelId: settings.model }, { signal: deadline.signal }));
      return { ok: true, detail: `Mistral at ${displayHost(baseUrl)}, model ${displayModel(settings.model)} available` };
    } catch (err) {
      const typed = failure(err, settings.model, deadline.timedOut, false);
      return { ok: false, detail: typed instanceof Error ? typed.message : String(typed) };
    } finally {
      deadline.dispose();
    }
  }

  return { name: 'mistral', chat, chatStream, health };
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
