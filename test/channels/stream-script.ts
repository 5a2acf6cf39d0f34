// Scripting helpers for streamed-reply tests: words for the fake model to stream, gates that
// hold a stream at a point and tell the test when the model got there (no timing), and a poll
// that waits long enough for a loaded machine (waiting is not asserting on time).
import { expect } from 'vitest';

/** expect.poll with a wait that survives a busy 2-core machine. */
export function poll<T>(fn: () => T | Promise<T>, options: { timeout?: number } = {}) {
  return expect.poll(fn, { interval: 25, timeout: 20_000, ...options });
}

/** `count` words "<prefix>0 <prefix>1 … <prefix>N." as stream chunks (they join to the reply). */
export function streamedWords(count: number, prefix = 'streamed'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}${i === count - 1 ? '.' : ' '}`);
}

export interface Gate extends PromiseLike<void> {
  /** Resolves once the fake model waits at this gate (everything before it has been sent). */
  reached: Promise<void>;
  release(): void;
}

/** A hold for the fake model's stream (`hold: { afterChunks, until: gate }`). */
export function gate(): Gate {
  let release!: () => void;
  let arrived!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  return {
    reached,
    release,
    then(onFulfilled, onRejected) {
      arrived();
      return open.then(onFulfilled, onRejected);
    },
  };
}
