// Maps typed errors to HTTP answers: a status, a stable code and a message that says what to
// do. Unknown errors become a 500 with no internal detail.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ERROR_CODES, SecureSphereError, type ErrorCode } from '../core/errors.js';

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  [ERROR_CODES.BAD_REQUEST]: 400,
  [ERROR_CODES.TOOL_ARGUMENTS]: 400,
  [ERROR_CODES.UNAUTHORIZED]: 401,
  [ERROR_CODES.APPROVAL_NOT_ALLOWED]: 403,
  [ERROR_CODES.FORBIDDEN]: 403,
  [ERROR_CODES.POLICY_DENIED]: 403,
  [ERROR_CODES.NOT_FOUND]: 404,
  [ERROR_CODES.APPROVAL_NOT_FOUND]: 404,
  [ERROR_CODES.TOOL_UNKNOWN]: 404,
  [ERROR_CODES.APPROVAL_ALREADY_DECIDED]: 409,
  [ERROR_CODES.RATE_LIMITED]: 429,
  [ERROR_CODES.PROVIDER_UNREACHABLE]: 502,
  [ERROR_CODES.PROVIDER_MODEL_NOT_FOUND]: 502,
  [ERROR_CODES.PROVIDER_TIMEOUT]: 504,
  [ERROR_CODES.PROVIDER_AUTH]: 502,
  [ERROR_CODES.PROVIDER_BAD_REQUEST]: 502,
  [ERROR_CODES.PROVIDER_TOOLS_UNSUPPORTED]: 502,
  [ERROR_CODES.PROVIDER_RATE_LIMITED]: 503,
  [ERROR_CODES.PROVIDER_UNAVAILABLE]: 503,
  [ERROR_CODES.VAULT_SEALED]: 503,
  [ERROR_CODES.SANDBOX_UNAVAILABLE]: 503,
};

export function sendError(reply: FastifyReply, status: number, code: ErrorCode, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

/** Parses a request part with zod; on failure, a message that names the bad field. */
export function parseRequestPart<T>(schema: z.ZodType<T>, value: unknown, what: string): { ok: true; data: T } | { ok: false; message: string } {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : what;
  return { ok: false, message: `Invalid ${what}: ${field}: ${issue.message}` };
}

/** Parses a request part with zod, throwing a 400-mapped error that names the bad field. */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = parseRequestPart(schema, value, what);
  if (parsed.ok) return parsed.data;
  throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, parsed.message);
}

export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // INTERNAL marks a bug: like any unknown error, its message goes to the log, not the client.
  if (error instanceof SecureSphereError && error.code !== ERROR_CODES.INTERNAL) {
    const status = STATUS_BY_CODE[error.code] ?? 500;
    if (status >= 500) request.log.error({ code: error.code, err: error.message }, 'request failed');
    return sendError(reply, status, error.code, error.message);
  }
  const fe = error as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return sendError(reply, 413, ERROR_CODES.BAD_REQUEST, 'Request body is too large. Send less text, or raise server.body_limit_bytes.');
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return sendError(reply, 415, ERROR_CODES.BAD_REQUEST, 'Send JSON with Content-Type: application/json.');
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    const message = fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError ? 'Request body is not valid JSON.' : fe.message;
    return sendError(reply, fe.statusCode, ERROR_CODES.BAD_REQUEST, message);
  }
  request.log.error({ err: error.message }, 'unexpected error');
  return sendError(reply, 500, ERROR_CODES.INTERNAL, 'Internal error; the gateway log has details.');
}
