// A clock for code that takes an injected PacerClock: time moves only when the test calls
// advance(), and timers due by then run in order. Lets a rate bound be asserted exactly,
// without waiting or timing anything.
import type { PacerClock } from '../../src/channel-host/edit-pacer.js';

export interface ManualClock extends PacerClock {
  /** Moves time forward, running every timer that falls due (in due order). */
  advance(ms: number): void;
  /** Timers waiting. */
  pending(): number;
}

export function createManualClock(start = 1_000_000): ManualClock {
  let time = start;
  let nextId = 1;
  const timers = new Map<number, { at: number; run: () => void }>();
  return {
    now: () => time,
    setTimeout(run, ms) {
      const id = nextId++;
      timers.set(id, { at: time + Math.max(0, ms), run });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const until = time + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!due) break;
        timers.delete(due[0]);
        time = Math.max(time, due[1].at);
        due[1].run();
      }
      time = until;
    },
    pending: () => timers.size,
  };
}
