// The Ollama provider: a translation layer over the npm `ollama` client. It maps the normalized
// request to /api/chat, maps the answer back, and turns failures into typed errors. The host
// comes from the caller (config or OLLAMA_HOST, resolved by the config layer): the client does
// not read the environment, and neither does this file.
import { Ollama } from 'ollama';
import type { ChatResponse as OllamaChatResponse } from 'ollama';
import { ERROR_CODES, SecureSphereError } from '../../../core/errors.js';
import type { ToolCall } from '../../../core/types.js';
import { createHttpFetch } from '../../http-fetch.js';
import { retryAfterMsOf } from '../../provider-errors.js';
import { classifyOllamaError, displayHost, displayModel, timeoutError } from './errors.js';
import { fromOllamaResponse, fromOllamaToolCalls, stopReasonOf, toOllamaMessages, toOllamaTools, usageOf } from './mapping.js';
import type { ChatRequest, ChatResponse, Provider, ProviderHealth, StreamHandlers } from '../../provider.js';

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';

// Reason used to release a finished call's listeners; one shared instance, because building
// an Error (and its stack) on every model call shows up in the gateway's per-message cost.
// It never escapes: dispose() aborts with it only after the call has settled.
const CALL_FINISHED = new SecureSphereError(ERROR_CODES.PROVIDER_ERROR, 'call finished');

export interface OllamaProviderOptions {
  /** e.g. "http://127.0.0.1:11434". Empty means the default above. */
  host: string;
  /** Used when a request names no model, and checked by health(). */
  model?: string;
  /** Deadline for one whole chat call (streaming included). */
  timeoutMs: number;
  /** Injected fetch (tests, proxies). Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** How long Ollama keeps the model loaded after a call, e.g. "5m". */
  keepAlive?: string | number;
}

export interface OllamaProvider extends Provider {
  readonly host: string;
  chatStream(request: ChatRequest, handlers: StreamHandlers): Promise<ChatResponse>;
}

/** One call's deadline and cancellation, wired into the fetch the client uses. */
interface CallScope {
  client: Ollama;
  run<T>(work: Promise<T>): Promise<T>;
  readonly timedOut: boolean;
  /** Retry-After of the last response, when the server (or a proxy in front) sent one. */
  readonly retryAfterMs: number | undefined;
  readonly timeoutMs: number;
  dispose(): void;
}

/**
 * Normalizes the host the way Ollama's own tools read OLLAMA_HOST ("localhost" and
 * "10.0.0.5:11434" mean http, a bare host means port 11434), so messages name the real
 * address. fetch refuses URLs with user:password@, so credentials (a reverse proxy with basic
 * auth) move into an Authorization header and out of every URL and message.
 */
export function normalizeOllamaHost(rawHost: string): { host: string; headers?: Record<string, string> } {
  const explicitScheme = rawHost.includes('://');
  let url: URL;
  try {
    url = new URL(explicitScheme ? rawHost : `http://${rawHost}`);
  } catch {
    throw new SecureSphereError(
      ERROR_CODES.CONFIG_INVALID,
      'provider.host (or OLLAMA_HOST) is not a valid address: use e.g. http://127.0.0.1:11434.',
    );
  }
  if (!explicitScheme && url.port === '') url.port = '11434';
  let headers: Record<string, string> | undefined;
  if (url.username || url.password) {
    const basic = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
    headers = { Authorization: `Basic ${basic}` };
    url.username = '';
    url.password = '';
  }
  return { host: url.toString().replace(/\/$/, ''), ...(headers ? { headers } : {}) };
}

export function createOllamaProvider(options: OllamaProviderOptions): OllamaProvider {
  const { host, headers } = normalizeOllamaHost(
    options.host && options.host.trim() !== '' ? options.host.trim() : DEFAULT_OLLAMA_HOST,
  );
  const baseFetch = options.fetch ?? createHttpFetch();

  function openScope(timeoutMs: number, external?: AbortSignal): CallScope {
    const controller = new AbortController();
    let timedOut = false;
    let retryAfterMs: number | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      // Never shown: failure() sees timedOut and answers with timeoutError() instead.
      controller.abort(new SecureSphereError(ERROR_CODES.PROVIDER_TIMEOUT, 'provider timeout'));
    }, timeoutMs);
    const onExternalAbort = (): void => controller.abort(external?.reason);
    if (external?.aborted) onExternalAbort();
    else external?.addEventListener('abort', onExternalAbort, { once: true });

    // The client only passes a signal for streaming calls; give every call ours, and keep the
    // client's own (its iterator's abort()) working too.
    const scopedFetch: typeof fetch = (input, init) => {
      const inner = init?.signal;
      if (inner) {
        if (inner.aborted) controller.abort(inner.reason);
        else inner.addEventListener('abort', () => controller.abort(inner.reason), { once: true });
      }
      return baseFetch(input, { ...init, signal: controller.signal }).then((res) => {
        retryAfterMs = retryAfterMsOf(res.headers);
        return res;
      });
    };
    // Some body reads ignore the signal; racing guarantees the deadline holds regardless.
    const aborted = new Promise<never>((_, reject) => {
      const fail = (): void => reject(controller.signal.reason);
      if (controller.signal.aborted) fail();
      else controller.signal.addEventListener('abort', fail, { once: true });
    });
    aborted.catch(() => undefined);
    return {
      client: new Ollama({ host, fetch: scopedFetch, ...(headers ? { headers } : {}) }),
      run: (work) => Promise.race([work, aborted]),
      timeoutMs,
      get timedOut() {
        return timedOut;
      },
      get retryAfterMs() {
        return retryAfterMs;
      },
      dispose() {
        clearTimeout(timer);
        external?.removeEventListener('abort', onExternalAbort);
        if (!controller.signal.aborted) controller.abort(CALL_FINISHED);
      },
    };
  }

  function failure(err: unknown, scope: CallScope, model: string, external?: AbortSignal): unknown {
    const ctx = { host, model, timeoutMs: scope.timeoutMs, timedOut: scope.timedOut, retryAfterMs: scope.retryAfterMs };
    if (scope.timedOut) return timeoutError(ctx, err);
    // The caller cancelled (turn timeout, shutdown): hand back its reason untouched.
    if (external?.aborted) {
      return external.reason instanceof Error
        ? external.reason
        : new SecureSphereError(ERROR_CODES.PROVIDER_ERROR, 'The request to Ollama was cancelled.', { cause: err });
    }
    return classifyOllamaError(err, ctx);
  }

  function modelOf(request: ChatRequest): string {
    const model = request.model || options.model;
    if (!model) {
      throw new SecureSphereError(ERROR_CODES.CONFIG_INVALID, 'No model configured for the Ollama provider: set provider.model.');
    }
    return model;
  }

  function baseRequest(request: ChatRequest, model: string) {
    return {
      model,
      messages: toOllamaMessages(request.messages),
      ...(request.tools.length > 0 ? { tools: toOllamaTools(request.tools) } : {}),
      ...(options.keepAlive !== undefined ? { keep_alive: options.keepAlive } : {}),
      ...(request.maxOutputTokens !== undefined ? { options: { num_predict: request.maxOutputTokens } } : {}),
    };
  }

  async function chat(request: ChatRequest): Promise<ChatResponse> {
    const model = modelOf(request);
    const scope = openScope(options.timeoutMs, request.signal);
    try {
      const res = await scope.run(scope.client.chat({ ...baseRequest(request, model), stream: false }));
      return fromOllamaResponse(res);
    } catch (err) {
      throw failure(err, scope, model, request.signal);
    } finally {
      scope.dispose();
    }
  }

  async function chatStream(request: ChatRequest, handlers: StreamHandlers): Promise<ChatResponse> {
    const model = modelOf(request);
    const scope = openScope(options.timeoutMs, request.signal);
    try {
      return await scope.run(
        (async () => {
          const stream = await scope.client.chat({ ...baseRequest(request, model), stream: true });
          let text = '';
          const toolCalls: ToolCall[] = [];
          let last: Partial<OllamaChatResponse> = {};
          for await (const part of stream) {
            const delta = part.message?.content ?? '';
            if (delta !== '') {
              text += delta;
              handlers.onText(delta);
            }
            // Ollama sends each tool call whole, in one line: one delta per call.
            for (const call of fromOllamaToolCalls(part.message?.tool_calls)) {
              handlers.onToolCallDelta?.({ index: toolCalls.length, id: call.id, name: call.name, argumentsDelta: JSON.stringify(call.arguments) });
              toolCalls.push(call);
            }
            last = part;
          }
          return { text, toolCalls, usage: usageOf(last), stopReason: stopReasonOf(last, toolCalls.length > 0) };
        })(),
      );
    } catch (err) {
      throw failure(err, scope, model, request.signal);
    } finally {
      scope.dispose();
    }
  }

  async function health(): Promise<ProviderHealth> {
    const probeMs = Math.min(options.timeoutMs, 5_000);
    const scope = openScope(probeMs);
    const model = options.model ?? '';
    try {
      const [version, tags] = await scope.run(Promise.all([scope.client.version(), scope.client.list()]));
      const names = tags.models.map((m) => m.name);
      const where = `Ollama ${version.version} at ${displayHost(host)}`;
      if (model && !names.some((n) => n === model || n === `${model}:latest`)) {
        return {
          ok: false,
          detail: `${where} is reachable but has no model "${displayModel(model)}": run \`ollama pull ${displayModel(model)}\`.`,
        };
      }
      return { ok: true, detail: model ? `${where}, model ${displayModel(model)} available` : where };
    } catch (err) {
      const typed = failure(err, scope, model);
      return { ok: false, detail: typed instanceof Error ? typed.message : String(typed) };
    } finally {
      scope.dispose();
    }
  }

  return { name: 'ollama', host, chat, chatStream, health };
}
