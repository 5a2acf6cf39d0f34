// The provider manager: the one thing the orchestrator calls for a model answer. It holds an
// ordered list of profiles (provider + model) and fails over to the next profile only when a
// profile could not answer at all (unreachable, timeout). A bad request, a missing model or a
// vendor error is the same everywhere, so it is thrown at once instead of retried elsewhere.
// Other vendors slot in as more profiles; nothing here knows about Ollama.
import { ERROR_CODES, SecureSphereError, isSecureSphereError } from '../core/errors.js';
import type { ChatRequest, ChatResponse, Provider, ProviderHealth } from './provider.js';

export { describeProviderErrorForUser } from './user-messages.js';

export interface ProviderProfile {
  /** Operator-facing name, e.g. "primary", "local-fallback". */
  name: string;
  provider: Provider;
  model: string;
}

/** The manager picks the model from the profile, so callers do not name one. */
export type ManagerChatRequest = Omit<ChatRequest, 'model'>;

export interface ManagedChatResponse extends ChatResponse {
  /** Which profile answered (for the log and the store). */
  profile: string;
  provider: string;
  model: string;
}

export interface ProfileHealth extends ProviderHealth {
  profile: string;
  provider: string;
  model: string;
}

export interface ManagerHealth extends ProviderHealth {
  profiles: ProfileHealth[];
}

/** The subset of a pino logger the manager uses. */
export interface ManagerLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface ProviderManagerOptions {
  profiles: ProviderProfile[];
  logger?: ManagerLogger;
  /** Which errors move on to the next profile. Default: unreachable or timeout. */
  shouldFailover?: (err: unknown) => boolean;
  /** After a failover, try that profile last for this long. Default 30 s. */
  cooldownMs?: number;
  now?: () => number;
}

export interface ProviderManager {
  chat(request: ManagerChatRequest): Promise<ManagedChatResponse>;
  /** Streams text deltas; fails over only while nothing has been streamed yet. */
  chatStream(request: ManagerChatRequest, onText: (delta: string) => void): Promise<ManagedChatResponse>;
  health(): Promise<ManagerHealth>;
  readonly profiles: ReadonlyArray<{ name: string; provider: string; model: string }>;
}

export function isFailoverError(err: unknown): boolean {
  return isSecureSphereError(err, ERROR_CODES.PROVIDER_UNREACHABLE) || isSecureSphereError(err, ERROR_CODES.PROVIDER_TIMEOUT);
}

export function createProviderManager(options: ProviderManagerOptions): ProviderManager {
  if (options.profiles.length === 0) {
    throw new SecureSphereError(ERROR_CODES.CONFIG_INVALID, 'No provider configured: set provider.type and provider.model.');
  }
  const profiles = [...options.profiles];
  const shouldFailover = options.shouldFailover ?? isFailoverError;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const now = options.now ?? Date.now;
  const coolingUntil = new Map<string, number>();

  /** Profiles in configured order, those cooling down after a failure moved to the end. */
  function attemptOrder(): ProviderProfile[] {
    const t = now();
    const ready = profiles.filter((p) => (coolingUntil.get(p.name) ?? 0) <= t);
    const cooling = profiles.filter((p) => (coolingUntil.get(p.name) ?? 0) > t);
    return [...ready, ...cooling];
  }

  async function withFailover(
    request: ManagerChatRequest,
    call: (profile: ProviderProfile, req: ChatRequest) => Promise<ChatResponse>,
    canFailover: () => boolean,
  ): Promise<ManagedChatResponse> {
    const order = attemptOrder();
    let lastError: unknown;
    for (const [index, profile] of order.entries()) {
      try {
        const res = await call(profile, { ...request, model: profile.model });
        coolingUntil.delete(profile.name);
        return { ...res, profile: profile.name, provider: profile.provider.name, model: profile.model };
      } catch (err) {
        lastError = err;
        const cancelled = request.signal?.aborted === true;
        if (cancelled || !shouldFailover(err) || !canFailover()) throw err;
        coolingUntil.set(profile.name, now() + cooldownMs);
        const next = order[index + 1];
        options.logger?.warn(
          {
            profile: profile.name,
            provider: profile.provider.name,
            code: isSecureSphereError(err) ? err.code : undefined,
            err: err instanceof Error ? err.message : String(err),
            next: next?.name ?? null,
          },
          next ? 'provider failed, failing over to the next profile' : 'provider failed, no profile left',
        );
      }
    }
    throw lastError;
  }

  return {
    profiles: profiles.map((p) => ({ name: p.name, provider: p.provider.name, model: p.model })),
    chat: (request) => withFailover(request, (profile, req) => profile.provider.chat(req), () => true),
    chatStream: (request, onText) => {
      let streamed = false;
      const forward = (delta: string): void => {
        streamed = true;
        onText(delta);
      };
      return withFailover(
        request,
        async (profile, req) => {
          if (profile.provider.chatStream) return profile.provider.chatStream(req, forward);
          const res = await profile.provider.chat(req);
          if (res.text !== '') forward(res.text);
          return res;
        },
        () => !streamed,
      );
    },
    async health() {
      const results = await Promise.all(
        profiles.map(async (p): Promise<ProfileHealth> => {
          const h = await p.provider.health().catch((err: unknown) => ({
            ok: false,
            detail: err instanceof Error ? err.message : String(err),
          }));
          return { profile: p.name, provider: p.provider.name, model: p.model, ok: h.ok, detail: h.detail };
        }),
      );
      const ok = results.some((r) => r.ok);
      const detail = results.map((r) => `${r.profile}: ${r.ok ? 'ok' : 'down'} (${r.detail})`).join('; ');
      return { ok, detail, profiles: results };
    },
  };
}
