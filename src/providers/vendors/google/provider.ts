// The Google provider: translation over the official `@google/genai` SDK (Gemini API
// generateContent / streamGenerateContent), with the profile's base_url as the SDK's own
// httpOptions.baseUrl. No SDK retries: failover across profiles is the manager's job.
// Deadlines, error typing, stream totals and health are the shared skeleton's (../../vendor-call.ts).
import { ApiError, GoogleGenAI } from '@google/genai';
import type { ChatRequest, Provider } from '../../provider.js';
import { networkCodeOf } from '../../provider-errors.js';
import { createVendorProvider } from '../../vendor-call.js';
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

  return createVendorProvider({
    name: 'google',
    vendorLabel: 'Google',
    baseUrl,
    settings,
    body: params,
    complete: async (req) => fromGoogleResponse(await client.models.generateContent(req)),
    async stream(req, _signal, sink) {
      const stream = await client.models.generateContentStream(req);
      for await (const chunk of stream) {
        const parts = partsOf(chunk);
        if (parts.text !== '') sink.text(parts.text);
        // Gemini sends each function call whole, in one chunk: one delta per call.
        for (const call of parts.toolCalls) sink.wholeToolCall(call);
        const finish = chunk.candidates?.[0]?.finishReason;
        if (finish !== undefined && finish !== null) sink.stop(finish);
        sink.usage(usageOf(chunk));
      }
    },
    stopReasonOf,
    probe: (signal) => client.models.get({ model: settings.model, config: { abortSignal: signal } }),
    classify(err) {
      if (err instanceof ApiError) {
        const body = errorBody(err.message);
        // The Gemini API answers a bad key with 400 API_KEY_INVALID: that is an auth failure.
        const status = err.status === 400 && /API_KEY_INVALID|API key not valid/i.test(err.message) ? 401 : err.status;
        return { status, ...(body.retryAfterMs !== undefined ? { retryAfterMs: body.retryAfterMs } : {}), ...(body.message ? { serverMessage: body.message } : {}) };
      }
      if (networkCodeOf(err) || (err instanceof TypeError && /fetch failed/i.test(err.message))) return { connection: true };
      return undefined;
    },
  });
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
