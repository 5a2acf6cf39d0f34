// Bounds a promise that talks to something outside the process (the Docker engine can block a
// call on a container that is stuck mid-start, e.g. a runtime that hangs). The promise itself
// keeps running; the caller just stops waiting for it.
import { ERROR_CODES, SecureSphereError } from './errors.js';

/** A SecureSphereError with code TIMEOUT; its own class so callers can tell it apart. */
export class TimeoutError extends SecureSphereError {
  constructor(what: string, ms: number) {
    super(ERROR_CODES.TIMEOUT, `${what} did not finish within ${ms} ms`, { details: { what, ms } });
    this.name = 'TimeoutError';
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    timer.unref();
  });
  promise.catch(() => undefined); // a late rejection after the timeout is not unhandled
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
