// Paces the updates of one streamed draft on a chat platform: at most one platform call per
// interval (measured from the start of the previous call), never two in flight, and only the
// newest text is ever sent (texts that arrive while waiting replace each other). A failed call
// is skipped, not retried: the next newer text goes out at the next slot, and a platform's
// rate-limit wait pushes that slot back. The clock and timer are injected so the bound is
// tested without real time. Never throws at its caller.

/** Time and timers, injectable (tests drive them by hand). */
export interface PacerClock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: PacerClock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => {
    const timer = setTimeout(run, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface EditPacerDeps {
  intervalMs: number;
  clock: PacerClock;
  /** Sends one text (the first call posts the draft, later ones edit it). Rejecting skips that text. */
  send(text: string): Promise<void>;
  /** How long the platform asked us to wait after a failure (rate limit), if it said. */
  retryAfterMs?(err: unknown): number | undefined;
  onError?(err: unknown): void;
}

export interface EditPacer {
  /** The newest text to show; sent now if the slot is free, else when it is (replacing any text still waiting). */
  update(text: string): void;
  /** Drops any waiting text and timer; resolves when the call in flight (if any) has ended. */
  stop(): Promise<void>;
  /** The call in flight, if any, has ended (for callers that must not overtake it). */
  settled(): Promise<void>;
}

export function createEditPacer(deps: EditPacerDeps): EditPacer {
  const { clock } = deps;
  let waiting: string | undefined;
  let inFlight: Promise<void> | undefined;
  let timer: unknown;
  /** The earliest time the next call may start. */
  let nextSlot = -Infinity;
  let stopped = false;

  function pump(): void {
    if (stopped || waiting === undefined || inFlight || timer !== undefined) return;
    const wait = nextSlot - clock.now();
    if (wait > 0) {
      timer = clock.setTimeout(() => {
        timer = undefined;
        pump();
      }, wait);
      return;
    }
    const text = waiting;
    waiting = undefined;
    nextSlot = clock.now() + deps.intervalMs;
    inFlight = deps.send(text).then(
      () => undefined,
      (err: unknown) => {
        const later = deps.retryAfterMs?.(err);
        if (later !== undefined) nextSlot = Math.max(nextSlot, clock.now() + later);
        deps.onError?.(err);
      },
    );
    void inFlight.then(() => {
      inFlight = undefined;
      pump();
    });
  }

  return {
    update(text) {
      if (stopped) return;
      waiting = text;
      pump();
    },
    async stop() {
      stopped = true;
      waiting = undefined;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
    async settled() {
      await inFlight;
    },
  };
}
