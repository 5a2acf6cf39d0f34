// The OpenAI provider: translation over the official `openai` SDK (chat completions), with the
// profile's base_url as the SDK's own baseURL. The SDK's retries are off: failover across
// profiles is the manager's job, and a silent retry would hide a 429 from it.
import OpenAI from 'openai';
import type { ChatRequest, ChatResponse, Provider, ProviderHealth, StreamHandlers } from '../../provider.js';
import { openDeadline } from '../../call-deadline.js';
import { classifyHttpFailure, displayHost, displayModel, malformedStream, providerTimeout, retryAfterMsOf, type FailureContext } from '../../provider-errors.js';
import { createToolCallAssembler } from '../../tool-call-assembler.js';
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
  const ctx = (model: string): FailureContext => ({ vendor: 'OpenAI', baseUrl, model, timeoutMs: settings.timeoutMs });

  function failure(err: unknown, model: string, timedOut: boolean, cancelled: boolean): unknown {
    if (timedOut) return providerTimeout(ctx(model), err);
    if (cancelled) return err;
    if (err instanceof OpenAI.APIConnectionError) return classifyHttpFailure({ connection: true }, ctx(model), err);
    if (err instanceof OpenAI.APIError) {
      return classifyHttpFailure({ status: err.status, retryAfterMs: retryAfterMsOf(err.headers), serverMessage: messageOf(err.error) ?? err.message }, ctx(model), err);
    }
    return malformedStream(ctx(model), err);
  }

  function body(request: ChatRequest) {
    const max = request.maxOutputTokens ?? settings.maxOutputTokens;
    return {
      model: request.model || settings.model,
      messages: toOpenAIMessages(request.messages),
      ...(request.tools.length > 0 ? { tools: toOpenAITools(request.tools) } : {}),
      ...(max !== undefined ? { max_completion_tokens: max } : {}),
    };
  }

  async function chat(request: ChatRequest): Promise<ChatResponse> {
    const deadline = openDeadline(settings.timeoutMs, request.signal);
    const req = body(request);
    try {
      const res = await deadline.run(client.chat.completions.create({ ...req, stream: false }, { signal: deadline.signal }));
      return fromOpenAICompletion(res);
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
          const stream = await client.chat.completions.create({ ...req, stream: true, stream_options: { include_usage: true } }, { signal: deadline.signal });
          let text = '';
          let finish: string | null | undefined;
          let usage: ChatResponse['usage'];
          const calls = createToolCallAssembler();
          for await (const chunk of stream) {
            if (chunk.usage) usage = usageOf(chunk.usage);
            const choice = chunk.choices[0];
            if (!choice) continue;
            const delta = choice.delta;
            if (delta?.content) {
              text += delta.content;
              handlers.onText(delta.content);
            }
            for (const tc of delta?.tool_calls ?? []) {
              const d = { index: tc.index, ...(tc.id ? { id: tc.id } : {}), ...(tc.function?.name ? { name: tc.function.name } : {}), ...(tc.function?.arguments ? { argumentsDelta: tc.function.arguments } : {}) };
              calls.add(d);
              handlers.onToolCallDelta?.(d);
            }
            if (choice.finish_reason) finish = choice.finish_reason;
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
      await deadline.run(client.models.retrieve(settings.model, { signal: deadline.signal }));
      return { ok: true, detail: `OpenAI at ${displayHost(baseUrl)}, model ${displayModel(settings.model)} available` };
    } catch (err) {
      const typed = failure(err, settings.model, deadline.timedOut, false);
      return { ok: false, detail: typed instanceof Error ? typed.message : String(typed) };
    } finally {
      deadline.dispose();
    }
  }

  return { name: 'openai', chat, chatStream, health };
}

/** The `error.message` of an OpenAI-style error body, when there is one. */
export function messageOf(error: unknown): string | undefined {
  const inner = (error as { message?: unknown; error?: { message?: unknown } } | undefined) ?? undefined;
  const m = inner?.message ?? inner?.error?.message;
  return typeof m === 'string' ? m : undefined;
}
