// Vendor-neutral error helpers every provider uses: what an HTTP status means for SecureSphere
// (auth, rate limited with a retry time, unavailable, bad request, model missing, no tools),
// Retry-After parsing, and safe display of hosts and model names. Messages never carry an API
// key, a URL credential or a raw 401 body (vendors echo part of the key there).
import { ERROR_CODES, SecureSphereError, isSecureSphereError, type ErrorCode } from '../core/errors.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The host as safe to show: scheme, hostname and port only (no user:password@, no path or query). */
export function displayHost(host: string): string {
  try {
    const url = new URL(host.includes('://') ? host : `http://${host}`);
    return `${url.protocol}//${url.host}`;
  } catch {
    return '(invalid host)';
  }
}

/** Model names come from config or a user: keep them printable and short in messages. */
export function displayModel(model: string): string {
  const printable = model.replace(/[^\w.:/@+-]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 80)}…` : printable;
}

/** The first network error code found along the cause chain (fetch wraps it in "fetch failed"). */
export function networkCodeOf(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const inner = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(inner)) {
      for (const e of inner) {
        const c = networkCodeOf(e);
        if (c) return c;
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Milliseconds to wait from `retry-after-ms`, `retry-after` (seconds or an HTTP date). */
export function retryAfterMsOf(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Server text safe to quote: one line, bounded. */
export function quoteServerText(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

export interface FailureContext {
  /** Vendor name as shown, e.g. "OpenAI". */
  vendor: string;
  baseUrl: string;
  model: string;
  timeoutMs: number;
}

export interface HttpFailure {
  status?: number;
  retryAfterMs?: number;
  /** The vendor's error text (never quoted for 401/403). */
  serverMessage?: string;
  /** A connection-level failure (refused, reset, DNS): the vendor never answered. */
  connection?: boolean;
  timedOut?: boolean;
}

const TOOLS_UNSUPPORTED = /(does not|doesn't|not) support (function calling|tools|tool use|tool calling)|tools? (is|are) not supported/i;

export function providerTimeout(ctx: FailureContext, cause?: unknown): SecureSphereError {
  return new SecureSphereError(
    ERROR_CODES.PROVIDER_TIMEOUT,
    `${ctx.vendor} at ${displayHost(ctx.baseUrl)} did not answer within ${ctx.timeoutMs} ms (model ${displayModel(ctx.model)}). Retry, or raise the profile's timeout_ms.`,
    { cause, details: { provider: ctx.vendor, host: displayHost(ctx.baseUrl), model: ctx.model, timeoutMs: ctx.timeoutMs } },
  );
}

/** One typed error for an HTTP-level failure of any vendor. */
export function classifyHttpFailure(failure: HttpFailure, ctx: FailureContext, cause?: unknown): SecureSphereError {
  if (isSecureSphereError(cause)) return cause;
  if (failure.timedOut) return providerTimeout(ctx, cause);
  const host = displayHost(ctx.baseUrl);
  const model = displayModel(ctx.model);
  const base = { provider: ctx.vendor, host, model: ctx.model, status: failure.status ?? null };
  const make = (code: ErrorCode, message: string, extra: Record<string, unknown> = {}) =>
    new SecureSphereError(code, message, { cause, details: { ...base, ...extra } });
  const said = failure.serverMessage ? `: ${quoteServerText(failure.serverMessage)}` : '';
  const status = failure.status;
  if (failure.connection || status === undefined) {
    const networkCode = networkCodeOf(cause);
    return make(
      ERROR_CODES.PROVIDER_UNREACHABLE,
      `Cannot reach ${ctx.vendor} at ${host}${networkCode ? ` (${networkCode})` : ''}. Check the profile's base_url and the network.`,
      { networkCode: networkCode ?? null },
    );
  }
  if (status === 401 || status === 403) {
    return make(ERROR_CODES.PROVIDER_AUTH, `${ctx.vendor} at ${host} refused the API key (HTTP ${status}). Check the profile's api_key reference and the key's permissions.`);
  }
  if (status === 429) {
    const wait = failure.retryAfterMs;
    return make(
      ERROR_CODES.PROVIDER_RATE_LIMITED,
      `${ctx.vendor} at ${host} is rate limiting this key (HTTP 429)${wait !== undefined ? `; retry in ${Math.ceil(wait / 1000)} s` : ''}.`,
      { retryAfterMs: wait ?? null },
    );
  }
  if (status === 404) {
    return make(ERROR_CODES.PROVIDER_MODEL_NOT_FOUND, `${ctx.vendor} at ${host} has no model "${model}" (HTTP 404)${said}. Check the profile's model name.`);
  }
  if (failure.serverMessage && TOOLS_UNSUPPORTED.test(failure.serverMessage)) {
    return make(ERROR_CODES.PROVIDER_TOOLS_UNSUPPORTED, `The model "${model}" at ${ctx.vendor} does not support tool calling. Choose a model with tool support for this profile.`);
  }
  if (status === 400 || status === 413 || status === 422) {
    return make(ERROR_CODES.PROVIDER_BAD_REQUEST, `${ctx.vendor} at ${host} refused the request as invalid (HTTP ${status})${said}.`);
  }
  if (status >= 500) {
    return make(ERROR_CODES.PROVIDER_UNAVAILABLE, `${ctx.vendor} at ${host} is unavailable (HTTP ${status})${said}.`, {
      retryAfterMs: failure.retryAfterMs ?? null,
    });
  }
  return make(ERROR_CODES.PROVIDER_ERROR, `${ctx.vendor} at ${host} answered HTTP ${status}${said}.`);
}

/** A stream that broke off or carried something unreadable: the vendor failed mid-answer. */
export function malformedStream(ctx: FailureContext, cause: unknown): SecureSphereError {
  if (isSecureSphereError(cause)) return cause;
  return new SecureSphereError(
    ERROR_CODES.PROVIDER_ERROR,
    `${ctx.vendor} at ${displayHost(ctx.baseUrl)} sent a reply that could not be read (model ${displayModel(ctx.model)}); try again.`,
    { cause, details: { provider: ctx.vendor, host: displayHost(ctx.baseUrl), model: ctx.model, reason: 'malformed_stream' } },
  );
}
