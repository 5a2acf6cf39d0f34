// A value that a composition step needs before a later step has built it (approvals resume the
// orchestrator; the outbound router delivers through the channel host). The cycle is explicit
// here instead of hidden in closures; reading it before it is bound is a bug and says so.
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';

export interface LateBinding<T> {
  bind(value: T): void;
  get(): T;
}

export function createLateBinding<T>(what: string): LateBinding<T> {
  let value: T | undefined;
  let bound = false;
  return {
    bind(v) {
      value = v;
      bound = true;
    },
    get() {
      if (!bound) throw new SecureSphereError(ERROR_CODES.INTERNAL, `${what} was used before the gateway built it; this is a bug in the composition order (src/gateway.ts).`);
      return value as T;
    },
  };
}
