// The Anthropic provider: translation over the official `@anthropic-ai/sdk` (Messages API),
// with the profile's base_url as the SDK's own baseURL. The SDK's retries are off: failover
// across profiles is the manager's job. max_tokens is required by the API: the profile's
// max_output_tokens, else 4096.
import Anthropic from '@anthropic-ai/sdk';
import type { ChatRequest, ChatResponse, Provider, ProviderHealth, StreamHandlers } from '../../provider.js';
import { openDeadline } from '../../call-deadline.js';
import { classifyHttpFailure, displayHost, displayModel, malformedStream, providerTimeout, retryAfterMsOf, type FailureContext } from '../../provider-errors.js';
import { createToolCallAssembler } from '../../tool-call-assembler.js';
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
  const ctx = (model: string): FailureContext => ({ vendor: 'Anthropic', baseUrl, model, timeoutMs: settings.timeoutMs });

  function failure(err: unknown, model: string, timedOut: boolean, cancelled: boolean): unknown {
    if (timedOut) return providerTimeout(ctx(model), err);
    if (cancelled) return err;
    if (err instanceof Anthropic.APIConnectionError) return classifyHttpFailure({ connection: true }, ctx(model), err);
    if (err instanceof Anthropic.APIError) {
      const body = err.error as { error?: { message?: unknown } } | undefined;
      const said = typeof body?.error?.message === 'string' ? body.error.message : err.message;
      return classifyHttpFailure({ status: err.status, retryAfterMs: retryAfterMsOf(err.headers), serverMessage: said }, ctx(model), err);
    }
    return malformedStream(ctx(model), err);
  }

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

  async function chat(request: ChatRequest): Promise<ChatResponse> {
    const deadline = openDeadline(settings.timeoutMs, request.signal);
    const req = body(request);
    try {
      return fromAnthropicMessage(await deadline.run(client.messages.create({ ...req, stream: false }, { signal: deadline.signal })));
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
          const stream = await client.messages.create({ ...req, stream: true }, { signal: deadline.signal });
          let text = '';
          let stop: string | null | undefined;
          let inputTokens: number | undefined;
          let outputTokens: number | undefined;
          const calls = createToolCallAssembler();
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
                  calls.add(d);
                  handlers.onToolCallDelta?.(d);
                }
                break;
              case 'content_block_delta':
                if (event.delta.type === 'text_delta') {
                  text += event.delta.text;
                  handlers.onText(event.delta.text);
                } else if (event.delta.type === 'input_json_delta') {
                  const d = { index: toolIndex.get(event.index) ?? 0, argumentsDelta: event.delta.partial_json };
                  calls.add(d);
                  handlers.onToolCallDelta?.(d);
                }
                break;
              case 'message_delta':
                stop = event.delta.stop_reason;
                if (typeof event.usage.output_tokens === 'number') outputTokens = event.usage.output_tokens;
                if (typeof event.usage.input_tokens === 'number') inputTokens = event.usage.input_tokens;
                break;
              default:
                break;
            }
          }
          const usage = inputTokens !== undefined || outputTokens !== undefined ? { inputTokens: inputTokens ?? 0, outputTokens: outputTokens ?? 0 } : undefined;
          return { text, toolCalls: calls.calls(), stopReason: stopReasonOf(stop), ...(usage ? { usage } : {}) };
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
      await deadline.run(client.models.retrieve(settings.model, {}, { signal: deadline.signal }));
      return { ok: true, detail: `Anthropic at ${displayHost(baseUrl)}, model ${displayModel(settings.model)} available` };
    } catch (err) {
      const typed = failure(err, settings.model, deadline.timedOut, false);
      return { ok: false, detail: typed instanceof Error ? typed.message : String(typed) };
    } finally {
      deadline.dispose();
    }
  }

  return { name: 'anthropic', chat, chatStream, health };
}
