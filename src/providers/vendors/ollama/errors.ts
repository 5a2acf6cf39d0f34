// Turns whatever the `ollama` client or fetch threw into one typed SecureSphereError whose
// message says what to do next, including the Ollama-only hints (`ollama serve`, `ollama pull`)
// as details.userHint for the chat user. Never puts credentials from the host URL into a message.
import { ERROR_CODES, SecureSphereError, isSecureSphereError } from '../../../core/errors.js';
import { classifyHttpFailure, displayHost, displayModel, networkCodeOf } from '../../provider-errors.js';

export { displayHost, displayModel, networkCodeOf };

interface ClassifyContext {
  host: string;
  model: string;
  timeoutMs: number;
  timedOut: boolean;
  retryAfterMs?: number;
}

export function timeoutError(ctx: ClassifyContext, cause?: unknown): SecureSphereError {
  return new SecureSphereError(
    ERROR_CODES.PROVIDER_TIMEOUT,
    `Ollama at ${displayHost(ctx.host)} did not answer within ${ctx.timeoutMs} ms (model ${displayModel(ctx.model)}). ` +
      'The model may still be loading or the machine is overloaded: retry, use a smaller model, or raise provider.timeout_ms.',
    { cause, details: { provider: 'ollama', host: displayHost(ctx.host), model: ctx.model, timeoutMs: ctx.timeoutMs } },
  );
}

export function classifyOllamaError(err: unknown, ctx: ClassifyContext): SecureSphereError {
  if (isSecureSphereError(err)) return err;
  const host = displayHost(ctx.host);
  const model = displayModel(ctx.model);
  const details = { provider: 'ollama', host, model: ctx.model };
  if (ctx.timedOut) return timeoutError(ctx, err);

  const status = (err as { status_code?: unknown }).status_code;
  const text = err instanceof Error ? err.message : String(err);
  const serverText = text.length > 300 ? `${text.slice(0, 300)}…` : text;

  if ((status === 404 || status === undefined) && /model .* not found/i.test(text)) {
    return new SecureSphereError(
      ERROR_CODES.PROVIDER_MODEL_NOT_FOUND,
      `Ollama at ${host} does not have the model "${model}". Run \`ollama pull ${model}\` on that machine, ` +
        'or set provider.model to one listed by `ollama list`.',
      { cause: err, details: { ...details, status: status ?? null, userHint: `the model "${model}" is not installed on the model server; an operator needs to run \`ollama pull ${model}\`` } },
    );
  }
  if (/does not support tools/i.test(text)) {
    return new SecureSphereError(
      ERROR_CODES.PROVIDER_TOOLS_UNSUPPORTED,
      `The model "${model}" does not support tool calling. Set provider.model to a model with the "tools" capability (for example llama3.1 or qwen2.5).`,
      { cause: err, details: { ...details, status: status ?? null } },
    );
  }
  const networkCode = networkCodeOf(err);
  if (networkCode || (err instanceof TypeError && /fetch failed|terminated/i.test(text))) {
    return new SecureSphereError(
      ERROR_CODES.PROVIDER_UNREACHABLE,
      `Cannot reach Ollama at ${host}${networkCode ? ` (${networkCode})` : ''}. ` +
        'Start Ollama (`ollama serve`), or set provider.host (or OLLAMA_HOST) to where it runs.',
      { cause: err, details: { ...details, networkCode: networkCode ?? null } },
    );
  }
  if (typeof status === 'number') {
    return classifyHttpFailure({ status, serverMessage: text, ...(ctx.retryAfterMs !== undefined ? { retryAfterMs: ctx.retryAfterMs } : {}) }, { vendor: 'Ollama', baseUrl: ctx.host, model: ctx.model, timeoutMs: ctx.timeoutMs }, err);
  }
  return new SecureSphereError(ERROR_CODES.PROVIDER_ERROR, `Ollama at ${host} failed: ${serverText}`, {
    cause: err,
    details,
  });
}
