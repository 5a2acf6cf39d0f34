// One model call's deadline and cancellation, for providers whose SDK takes an AbortSignal:
// the call gets a signal that fires at the profile's timeout or when the caller cancels, and
// the result is raced against it (some body reads ignore signals). Never swallows the cause.
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';

// One shared reason to release a finished call's listeners (no Error built per call).
const CALL_FINISHED = new SecureSphereError(ERROR_CODES.PROVIDER_ERROR, 'The model call had already finished.');

export interface CallDeadline {
  readonly signal: AbortSignal;
  readonly timedOut: boolean;
  /** Whether the caller (not the deadline) cancelled. */
  readonly cancelled: boolean;
  run<T>(work: Promise<T>): Promise<T>;
  dispose(): void;
}

export function openDeadline(timeoutMs: number, external?: AbortSignal): CallDeadline {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new SecureSphereError(ERROR_CODES.PROVIDER_TIMEOUT, `The model call ran past its ${timeoutMs} ms deadline.`));
  }, timeoutMs);
  const onExternalAbort = (): void => controller.abort(external?.reason);
  if (external?.aborted) onExternalAbort();
  else external?.addEventListener('abort', onExternalAbort, { once: true });
  const aborted = new Promise<never>((_, reject) => {
    const fail = (): void => reject(controller.signal.reason);
    if (controller.signal.aborted) fail();
    else controller.signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => undefined);
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    get cancelled() {
      return external?.aborted === true;
    },
    run: (work) => Promise.race([work, aborted]),
    dispose() {
      clearTimeout(timer);
      external?.removeEventListener('abort', onExternalAbort);
      if (!controller.signal.aborted) controller.abort(CALL_FINISHED);
    },
  };
}
