// One catalogue of typed errors. Every error has a stable code, a human message that says
// what to do next, and an optional cause. Messages never contain secret values.

export const ERROR_CODES = {
  CONFIG_INVALID: 'SS_ERR_CONFIG_INVALID',
  CONFIG_FILE: 'SS_ERR_CONFIG_FILE',
  SECRET_UNRESOLVED: 'SS_ERR_SECRET_UNRESOLVED',
  STORE: 'SS_ERR_STORE',
  PROVIDER_UNREACHABLE: 'SS_ERR_PROVIDER_UNREACHABLE',
  PROVIDER_MODEL_NOT_FOUND: 'SS_ERR_PROVIDER_MODEL_NOT_FOUND',
  PROVIDER_TIMEOUT: 'SS_ERR_PROVIDER_TIMEOUT',
  PROVIDER_ERROR: 'SS_ERR_PROVIDER_ERROR',
  /** The vendor refused the API key (HTTP 401/403): fix the key, failover would hide it. */
  PROVIDER_AUTH: 'SS_ERR_PROVIDER_AUTH',
  /** HTTP 429: details.retryAfterMs says when the profile may be asked again. */
  PROVIDER_RATE_LIMITED: 'SS_ERR_PROVIDER_RATE_LIMITED',
  /** HTTP 5xx, overloaded: another profile may answer. */
  PROVIDER_UNAVAILABLE: 'SS_ERR_PROVIDER_UNAVAILABLE',
  /** HTTP 400/422: the request itself is wrong, so every profile would refuse it too. */
  PROVIDER_BAD_REQUEST: 'SS_ERR_PROVIDER_BAD_REQUEST',
  PROVIDER_TOOLS_UNSUPPORTED: 'SS_ERR_PROVIDER_TOOLS_UNSUPPORTED',
  TOOL_UNKNOWN: 'SS_ERR_TOOL_UNKNOWN',
  TOOL_ARGUMENTS: 'SS_ERR_TOOL_ARGUMENTS',
  TURN_TIMEOUT: 'SS_ERR_TURN_TIMEOUT',
  POLICY_DENIED: 'SS_ERR_POLICY_DENIED',
  APPROVAL_NOT_FOUND: 'SS_ERR_APPROVAL_NOT_FOUND',
  APPROVAL_NOT_ALLOWED: 'SS_ERR_APPROVAL_NOT_ALLOWED',
  APPROVAL_ALREADY_DECIDED: 'SS_ERR_APPROVAL_ALREADY_DECIDED',
  SANDBOX_UNAVAILABLE: 'SS_ERR_SANDBOX_UNAVAILABLE',
  SANDBOX_EXEC: 'SS_ERR_SANDBOX_EXEC',
  SANDBOX_LIMIT: 'SS_ERR_SANDBOX_LIMIT',
  SKILL_MANIFEST: 'SS_ERR_SKILL_MANIFEST',
  SKILL_FAILED: 'SS_ERR_SKILL_FAILED',
  NOT_FOUND: 'SS_ERR_NOT_FOUND',
  BAD_REQUEST: 'SS_ERR_BAD_REQUEST',
  UNAUTHORIZED: 'SS_ERR_UNAUTHORIZED',
  FORBIDDEN: 'SS_ERR_FORBIDDEN',
  RATE_LIMITED: 'SS_ERR_RATE_LIMITED',
  HOST_NOT_ALLOWED: 'SS_ERR_HOST_NOT_ALLOWED',
  ORIGIN_NOT_ALLOWED: 'SS_ERR_ORIGIN_NOT_ALLOWED',
  VAULT_SEALED: 'SS_ERR_VAULT_SEALED',
  VAULT: 'SS_ERR_VAULT',
  AUDIT_BROKEN: 'SS_ERR_AUDIT_BROKEN',
  CHANNEL_UNAVAILABLE: 'SS_ERR_CHANNEL_UNAVAILABLE',
  CHANNEL_RATE_LIMITED: 'SS_ERR_CHANNEL_RATE_LIMITED',
  CHANNEL_DELIVERY_FAILED: 'SS_ERR_CHANNEL_DELIVERY_FAILED',
  CHANNEL_DELIVERY_REJECTED: 'SS_ERR_CHANNEL_DELIVERY_REJECTED',
  CHANNEL_START_FAILED: 'SS_ERR_CHANNEL_START_FAILED',
  /** A call to something outside the process (Docker engine, a probe) did not settle in time. */
  TIMEOUT: 'SS_ERR_TIMEOUT',
  /** A broken invariant inside the gateway: a bug. Over HTTP its message stays in the log. */
  INTERNAL: 'SS_ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export class SecureSphereError extends Error {
  readonly code: ErrorCode;
  /** Extra structured detail safe to log (never a secret). */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SecureSphereError';
    this.code = code;
    this.details = options?.details;
  }
}

export function isSecureSphereError(err: unknown, code?: ErrorCode): err is SecureSphereError {
  return err instanceof SecureSphereError && (code === undefined || err.code === code);
}

/** A one-line, secret-free description of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
