// The provider manager: the one thing the orchestrator calls for a model answer. It holds the
// named profiles (provider + model), picks the conversation's profile (route or default) and
// fails over along the configured order when a profile could not answer: unreachable, timed
// out, 5xx, 429. A profile that named a retry time is skipped until then. A refused key, a bad
// request or a missing model is thrown at once: failover would only hide it. Nothing here
// knows about any vendor.
import { ERROR_CODES, SecureSphereError, isSecureSphereError } from '../core/errors.js';
import { createProfileStates, type ProfileStateSink } from './profile-state.js';
import type { ChatRequest, ChatResponse, Provider, ProviderHealth, StreamHandlers } from './provider.js';

export { describeProviderErrorForUser } from './user-messages.js';

export interface ProviderProfile {
  /** Operator-facing name, e.g. "main", "backup". */
  name: string;
  provider: Provider;
  model: string;
  maxOutputTokens?: number;
}

/** The manager picks the model from the profile, so callers do not name one. */
export interface ManagerChatRequest extends Omit<ChatRequest, 'model' | 'maxOutputTokens'> {
  /** Start with this profile (a route's choice); default: the manager's default profile. */
  profile?: string;
}

export interface ManagedChatResponse extends ChatResponse {
  /** Which profile answered (for the log and the store). */
  profile: string;
  provider: string;
  model: string;
  /** The profile the turn asked for, when another one answered. */
  failedOverFrom?: string;
}

export interface ProfileHealth extends ProviderHealth {
  profile: string;
  provider: string;
  model: string;
  last_error: { code: string; message: string; at: string } | null;
  /** ISO time until which the profile is not called (it named a retry time), or null. */
  skipped_until: string | null;
}

export interface ManagerHealth extends ProviderHealth {
  profiles: ProfileHealth[];
}

/** The subset of a pino logger the manager uses. */
export interface ManagerLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  error?(obj: Record<string, unknown>, msg: string): void;
}

export interface ProviderManagerOptions {
  profiles: ProviderProfile[];
  /** Default: the first profile. */
  defaultProfile?: string;
  /** Profiles tried in order after the chosen one. Default: every profile, in order. */
  failover?: string[];
  logger?: ManagerLogger;
  /** Which errors move on to the next profile. Default: isFailoverError. */
  shouldFailover?: (err: unknown) => boolean;
  /** After a failure without a retry time, try that profile last for this long. Default 30 s. */
  cooldownMs?: number;
  now?: () => number;
  /** Keeps profile states across restarts and visible to `doctor`. */
  persist?: ProfileStateSink;
  /** Applied to error texts kept in profile states (known secrets removed). */
  redact?: (text: string) => string;
}

export interface ProviderManager {
  chat(request: ManagerChatRequest): Promise<ManagedChatResponse>;
  /** Streams deltas; fails over only while nothing has been streamed yet. */
  chatStream(request: ManagerChatRequest, handlers: StreamHandlers): Promise<ManagedChatResponse>;
  health(): Promise<ManagerHealth>;
  readonly defaultProfile: string;
  readonly profiles: ReadonlyArray<{ name: string; provider: string; model: string }>;
}

const FAILOVER_CODES = new Set<string>([
  ERROR_CODES.PROVIDER_UNREACHABLE,
  ERROR_CODES.PROVIDER_TIMEOUT,
  ERROR_CODES.PROVIDER_UNAVAILABLE,
  ERROR_CODES.PROVIDER_RATE_LIMITED,
]);

export function isFailoverError(err: unknown): boolean {
  if (!isSecureSphereError(err)) return false;
  return FAILOVER_CODES.has(err.code) || err.details?.reason === 'malformed_stream';
}

export function createProviderManager(options: ProviderManagerOptions): ProviderManager {
  if (options.profiles.length === 0) {
    throw new SecureSphereError(ERROR_CODES.CONFIG_INVALID, 'No provider configured: set provider.type and provider.model, or providers.profiles.');
  }
  const byName = new Map(options.profiles.map((p) => [p.name, p]));
  const defaultProfile = options.defaultProfile ?? options.profiles[0]!.name;
  const failover = (options.failover ?? options.profiles.map((p) => p.name)).filter((n) => byName.has(n));
  const shouldFailover = options.shouldFailover ?? isFailoverError;
  const now = options.now ?? Date.now;
  const states = createProfileStates({ now, cooldownMs: options.cooldownMs ?? 30_000, ...(options.persist ? { persist: options.persist } : {}), ...(options.redact ? { redact: options.redact } : {}) });

  /** The chosen profile, then the failover list; skipped ones left out, cooling ones last. */
  function attemptOrder(start: string): { order: ProviderProfile[]; skipped: ProviderProfile[] } {
    const names = [start, ...failover.filter((n) => n !== start)];
    const all = names.map((n) => byName.get(n)).filter((p): p is ProviderProfile => p !== undefined);
    const skipped = all.filter((p) => states.isSkipped(p.name));
    const live = all.filter((p) => !states.isSkipped(p.name));
    return { order: [...live.filter((p) => !states.isCooling(p.name)), ...live.filter((p) => states.isCooling(p.name))], skipped };
  }

  async function withFailover(
    request: ManagerChatRequest,
    call: (profile: ProviderProfile, req: ChatRequest) => Promise<ChatResponse>,
    canFailover: () => boolean,
  ): Promise<ManagedChatResponse> {
    const start = request.profile && byName.has(request.profile) ? request.profile : defaultProfile;
    const { order, skipped } = attemptOrder(start);
    if (order.length === 0) throw allSkipped(skipped);
    const { profile: _ignored, ...rest } = request;
    const attempts: Array<{ profile: string; code: string; message: string }> = [];
    for (const [index, profile] of order.entries()) {
      try {
        const res = await call(profile, {
          ...rest,
          model: profile.model,
          ...(profile.maxOutputTokens !== undefined ? { maxOutputTokens: profile.maxOutputTokens } : {}),
        });
        states.recordSuccess(profile.name);
        return {
          ...res,
          profile: profile.name,
          provider: profile.provider.name,
          model: profile.model,
          ...(profile.name !== start ? { failedOverFrom: start } : {}),
        };
      } catch (err) {
        const cancelled = request.signal?.aborted === true;
        const moveOn = !cancelled && shouldFailover(err) && canFailover();
        if (!cancelled) states.recordFailure(profile.name, err, moveOn);
        const code = isSecureSphereError(err) ? err.code : ERROR_CODES.PROVIDER_ERROR;
        attempts.push({ profile: profile.name, code, message: err instanceof Error ? err.message : String(err) });
        const next = order[index + 1];
        const fields = { profile: profile.name, provider: profile.provider.name, code, err: err instanceof Error ? err.message : String(err) };
        if (!moveOn) {
          if (!cancelled && !shouldFailover(err)) options.logger?.error?.(fields, 'provider refused the request; not failing over (fix the profile)');
          throw err;
        }
        options.logger?.warn({ ...fields, next: next?.name ?? null }, next ? 'provider failed, failing over to the next profile' : 'provider failed, no profile left');
        if (!next) throw attempts.length + skipped.length > 1 ? allFailed(attempts, skipped, err) : err;
      }
    }
    throw allSkipped(skipped); // unreachable: the loop returns or throws
  }

  function allSkipped(skipped: ProviderProfile[]): SecureSphereError {
    const until = Math.min(...skipped.map((p) => states.get(p.name).skippedUntil));
    const waitMs = Math.max(0, until - now());
    return new SecureSphereError(
      ERROR_CODES.PROVIDER_RATE_LIMITED,
      `Every provider profile (${skipped.map((p) => p.name).join(', ')}) asked to be left alone for now; the first is available again in ${Math.ceil(waitMs / 1000)} s.`,
      { details: { retryAfterMs: waitMs, allFailed: true, profiles: skipped.map((p) => p.name) } },
    );
  }

  function allFailed(attempts: Array<{ profile: string; code: string; message: string }>, skipped: ProviderProfile[], last: unknown): SecureSphereError {
    const tried = attempts.map((a) => `${a.profile}: ${a.message}`).join('; ');
    const rest = skipped.length > 0 ? ` Skipped (rate limited): ${skipped.map((p) => p.name).join(', ')}.` : '';
    return new SecureSphereError(ERROR_CODES.PROVIDER_UNAVAILABLE, `No provider profile could answer. ${tried}.${rest}`, {
      cause: last,
      details: { allFailed: true, attempts: attempts.map((a) => ({ profile: a.profile, code: a.code })), skipped: skipped.map((p) => p.name) },
    });
  }

  function stateOf(name: string): Pick<ProfileHealth, 'last_error' | 'skipped_until'> {
    const s = states.get(name);
    return { last_error: s.lastError, skipped_until: s.skippedUntil > now() ? new Date(s.skippedUntil).toISOString() : null };
  }

  return {
    defaultProfile,
    profiles: options.profiles.map((p) => ({ name: p.name, provider: p.provider.name, model: p.model })),
    chat: (request) => withFailover(request, (profile, req) => profile.provider.chat(req), () => true),
    chatStream: (request, handlers) => {
      let streamed = false;
      const forward: StreamHandlers = {
        onText: (delta) => {
          streamed = true;
          handlers.onText(delta);
        },
        onToolCallDelta: (delta) => {
          streamed = true;
          handlers.onToolCallDelta?.(delta);
        },
      };
      return withFailover(
        request,
        async (profile, req) => {
          if (profile.provider.chatStream) return profile.provider.chatStream(req, forward);
          const res = await profile.provider.chat(req);
          if (res.text !== '') forward.onText(res.text);
          return res;
        },
        () => !streamed,
      );
    },
    async health() {
      const results = await Promise.all(
        options.profiles.map(async (p): Promise<ProfileHealth> => {
          const h = await p.provider.health().catch((err: unknown) => ({ ok: false, detail: err instanceof Error ? err.message : String(err) }));
          return { profile: p.name, provider: p.provider.name, model: p.model, ok: h.ok, detail: h.detail, ...stateOf(p.name) };
        }),
      );
      const ok = results.some((r) => r.ok);
      const detail = results
        .map((r) => `${r.profile}: ${r.ok ? 'ok' : 'down'} (${r.detail})${r.skipped_until ? ` skipped until ${r.skipped_until}` : ''}`)
        .join('; ');
      return { ok, detail, profiles: results };
    },
  };
}
