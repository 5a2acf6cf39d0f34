// What the manager remembers about each profile between calls: its last error, until when it
// is skipped (the vendor named a retry time: 429, or 503 with Retry-After) and until when it
// is tried last (it failed without a retry time). In memory only; a restart forgets it.
import { ERROR_CODES, isSecureSphereError } from '../core/errors.js';

export interface ProfileState {
  lastError: { code: string; message: string; at: string } | null;
  /** Not called at all before this time (epoch ms). */
  skippedUntil: number;
  /** Tried after the others before this time (epoch ms). */
  coolingUntil: number;
}

export interface ProfileStates {
  get(name: string): ProfileState;
  recordSuccess(name: string): void;
  recordFailure(name: string, err: unknown, failedOver: boolean): void;
  isSkipped(name: string): boolean;
  isCooling(name: string): boolean;
}

export function retryAfterOf(err: unknown): number | undefined {
  if (!isSecureSphereError(err)) return undefined;
  const ms = err.details?.retryAfterMs;
  return typeof ms === 'number' && ms >= 0 ? ms : undefined;
}

/** Where states survive a restart (SQLite in the gateway); optional. */
export interface ProfileStateSink {
  load(): Map<string, ProfileState>;
  save(name: string, state: ProfileState): void;
}

export function createProfileStates(options: { now: () => number; cooldownMs: number; persist?: ProfileStateSink; redact?: (text: string) => string }): ProfileStates {
  const states = new Map<string, ProfileState>(options.persist?.load() ?? []);
  const save = (name: string, s: ProfileState): void => options.persist?.save(name, s);
  const get = (name: string): ProfileState => {
    let s = states.get(name);
    if (!s) {
      s = { lastError: null, skippedUntil: 0, coolingUntil: 0 };
      states.set(name, s);
    }
    return s;
  };
  return {
    get,
    recordSuccess(name) {
      const s = get(name);
      // Only a change is written: a healthy profile costs no store write per call.
      if (s.coolingUntil === 0 && s.skippedUntil === 0) return;
      s.coolingUntil = 0;
      s.skippedUntil = 0;
      save(name, s);
    },
    recordFailure(name, err, failedOver) {
      const s = get(name);
      const t = options.now();
      s.lastError = {
        code: isSecureSphereError(err) ? err.code : ERROR_CODES.PROVIDER_ERROR,
        // A vendor's error text can echo what it was sent: known secrets never stay in it.
        message: (options.redact ?? ((t: string) => t))(err instanceof Error ? err.message : String(err)),
        at: new Date(t).toISOString(),
      };
      if (failedOver) {
        const retryAfter = retryAfterOf(err);
        const limited = isSecureSphereError(err, ERROR_CODES.PROVIDER_RATE_LIMITED) || isSecureSphereError(err, ERROR_CODES.PROVIDER_UNAVAILABLE);
        if (limited && retryAfter !== undefined) s.skippedUntil = t + retryAfter;
        else s.coolingUntil = t + options.cooldownMs;
      }
      save(name, s);
    },
    isSkipped: (name) => get(name).skippedUntil > options.now(),
    isCooling: (name) => get(name).coolingUntil > options.now(),
  };
}
