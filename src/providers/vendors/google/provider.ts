// The Google provider: translation over the official `@google/genai` SDK (Gemini API
// generateContent / streamGenerateContent), with the profile's base_url as the SDK's own
// httpOptions.baseUrl. No SDK retries: failover across profiles is the manager's job.
import { ApiError, GoogleGenAI } from '@google/genai';
import type { ChatRequest, ChatResponse, Provider, ProviderHealth, StreamHandlers } from '../../provider.js';
import { openDeadline } from '../../call-deadline.js';
import { classifyHttpFailure, displayHost, displayModel, malformedStream, networkCodeOf, providerTimeout, type FailureContext } from '../../provider-errors.js';
import type { ProfileSettings, VendorDeps } from '../../vendor.js';
import { fromGoogleResponse, partsOf, stopReasonOf, toGoogleRequest, toGoogleTools, usageOf } from './mapping.js';
import { DEFAULT_GOOGLE_BASE_URL } from './defaults.js';


export function createGoogleProvider(settings: ProfileSettings, deps: VendorDeps = {}): Provider {
  const baseUrl = settings.baseUrl ?? DEFAULT_GOOGLE_BASE_URL;
  const client = new GoogleGenAI({
    // The Gemini API with this key, never Vertex AI picked up from the environment.
    vertexai: false,
    apiKey: settings.apiKey ?? '',
    httpOptions: { baseUrl, timeout: settings.timeoutMs + 1_000, ...(deps.fetch ? { fetch: deps.fetch } : {}) },
  });
  const ctx = (model: string): FailureContext => ({ vendor: 'Google', baseUrl, model, timeoutMs: settings.timeoutMs });

  function failure(err: unknown, model: string, timedOut: boolean, cancelled: boolean): unknown {
    if (timedOut) return providerTimeout(ctx(model), err);
    if (cancelled) return err;
    if (err instanceof ApiError) {
      const body = errorBody(err.message);
      // The Gemini API answers a bad key with 400 API_KEY_INVALID: that is an auth failure.
      const status = err.status === 400 && /API_KEY_INVALID|API key not valid/i.test(err.message) ? 401 : err.status;
      return classifyHttpFailure({ status, ...(body.retryAfterMs !== undefined ? { retryAfterMs: body.retryAfterMs } : {}), ...(body.message ? { serverMessage: body.message } : {}) }, ctx(model), err);
    }
    if (networkCodeOf(err) || (err instanceof TypeError && /fetch failed/i.test(err.message))) return classifyHttpFailure({ connection: true }, ctx(model), err);
    return malformedStream(ctx(model), err);
  }

  function params(request: ChatRequest, signal: AbortSignal) {
    const { systemInstruction, contents } = toGoogleRequest(request.messages);
    const max = request.maxOutputTokens ?? settings.maxOutputTokens;
    const tools = toGoogleTools(request.tools);
    return {
      model: request.model || settings.model,
      contents,
      config: {
        abortSignal: signal,
        ...(systemInstruction !== undefined ? { systemInstruction } : {}),
        ...(tools.length > 0 ? { tools } : {}),
        ...(max !== undefined ? { maxOutputTokens: max } : {}),
      },
    };
  }

  async function chat(request: ChatRequest): Promise<ChatResponse> {
    const deadline = openDeadline(settings.timeoutMs, request.signal);
    const req = params(request, deadline.signal);
    try {
      return fromGoogleResponse(await deadline.run(client.models.generateContent(req)));
    } catch (err) {
      throw failure(err, req.model, deadline.timedOut, deadline.cancelled);
    } finally {
      deadline.dispose();
    }
  }

  async function chatStream(request: ChatRequest, handlers: StreamHandlers): Promise<ChatResponse> {
    const deadline = openDeadline(settings.timeoutMs, request.signal);
    const req = params(request, deadline.signal);
    try {
      return await deadline.run(
        (async () => {
          const stream = await client.models.generateContentStream(req);
          let text = '';
          let finish: string | undefined;
          let usage: ChatResponse['usage'];
          const toolCalls: ChatResponse['toolCalls'] = [];
          for await (const chunk of stream) {
            const parts = partsOf(chunk);
            if (parts.text !== '') {
              text += parts.text;
              handlers.onText(parts.text);
            }
            // Gemini sends each function call whole, in one chunk: one delta per call.
            for (const call of parts.toolCalls) {
              handlers.onToolCallDelta?.({ index: toolCalls.length, id: call.id, name: call.name, argumentsDelta: JSON.stringify(call.arguments) });
              toolCalls.push(call);
            }
            finish = chunk.candidates?.[0]?.finishReason ?? finish;
            usage = usageOf(chunk) ?? usage;
          }
          return { text, toolCalls, stopReason: stopReasonOf(finish, toolCalls.length > 0), ...(usage ? { usage } : {}) };
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
      await deadline.run(client.models.get({ model: settings.model, config: { abortSignal: deadline.signal } }));
      return { ok: true, detail: `Google at ${displayHost(baseUrl)}, model ${displayModel(settings.model)} available` };
    } catch (err) {
      const typed = failure(err, settings.model, deadline.timedOut, false);
      return { ok: false, detail: typed instanceof Error ? typed.message : String(typed) };
    } finally {
      deadline.dispose();
    }
  }

  return { name: 'google', chat, chatStream, health };
}

/** The SDK puts the JSON error body in the message: read its text and a RetryInfo delay. */
function errorBody(message: string): { message?: string; retryAfterMs?: number } {
  const start = message.indexOf('{');
  if (start < 0) return { message };
  try {
    const body = JSON.parse(message.slice(start)) as { error?: { message?: unknown; details?: Array<Record<string, unknown>> } };
    const delay = body.error?.details?.find((d) => typeof d.retryDelay === 'string')?.retryDelay as string | undefined;
    const seconds = delay ? /^(\d+(?:\.\d+)?)s$/.exec(delay)?.[1] : undefined;
    return {
      ...(typeof body.error?.message === 'string' ? { message: body.error.message } : {}),
      ...(seconds !== undefined ? { retryAfterMs: Math.ceil(Number(seconds) * 1000) } : {}),
    };
  } catch {
    return { message };
  }
}
