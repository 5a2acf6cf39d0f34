// Scripting helpers for streamed-reply tests: words for the fake model to stream, gates that
// hold a stream at a point and tell the test when the model got there (no timing), and a poll
// that waits long enough for a loaded machine (waiting is not asserting on time).
import { expect } from 'vitest';
import type { FakeTurnSpec } from '../fakes/ollama-turns.js';

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

/**
 * A text reply of `count` streamed words that stops at each of `stops` (chunk counts) until the
 * matching gate is released: `{ reply, words, gates, turn }`, with `turn` ready for `enqueue`.
 */
export function heldReply<const Stops extends readonly number[]>(
  count: number,
  ...stops: Stops
): { words: string[]; reply: string; gates: { [K in keyof Stops]: Gate }; turn: FakeTurnSpec } {
  const words = streamedWords(count);
  const reply = words.join('');
  const gates = stops.map(() => gate());
  const hold = stops.map((afterChunks, i) => ({ afterChunks, until: gates[i]! }));
  return { words, reply, gates: gates as { [K in keyof Stops]: Gate }, turn: { type: 'text', text: reply, chunks: words, hold } };
}
