// The pace of streamed draft edits, on a hand-driven clock: however many texts arrive, calls
// start at least one interval apart, never overlap, carry only the newest text, and a failed
// call is skipped (not queued up), with a platform's retry-after respected.
import { describe, expect, it } from 'vitest';
import { ChannelDeliveryError } from '../../channels/channel.js';
import { createEditPacer } from '../../src/channel-host/edit-pacer.js';
import { createManualClock } from '../helpers/manual-clock.js';

/** A platform whose calls end when the test says so. */
function platform(clock: { now(): number }) {
  const calls: Array<{ at: number; text: string; finish: (err?: unknown) => void }> = [];
  let open = 0;
  let maxOpen = 0;
  const send = (text: string) =>
    new Promise<void>((resolve, reject) => {
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      calls.push({
        at: clock.now(),
        text,
        finish: (err) => {
          open -= 1;
          if (err) reject(err);
          else resolve();
        },
      });
    });
  return { calls, send, maxOpen: () => maxOpen };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('edit pacer', () => {
  it('bounds the calls by the interval and sends only the newest text, one call at a time', async () => {
    const clock = createManualClock();
    const p = platform(clock);
    const pacer = createEditPacer({ intervalMs: 1000, clock, send: p.send });
    const start = clock.now();
    // 100 texts over 5 simulated seconds (one every 50 ms); each call takes 30 ms.
    for (let i = 1; i <= 100; i++) {
      pacer.update(`text ${i}`);
      await flush();
      const last = p.calls.at(-1);
      if (last && clock.now() - last.at >= 30) last.finish();
      clock.advance(50);
      await flush();
    }
    for (const call of p.calls) call.finish();
    await flush();
    clock.advance(1000);
    await flush();
    for (const call of p.calls) call.finish();
    await pacer.stop();
    const elapsed = clock.now() - start;
    expect(p.calls.length).toBeGreaterThan(1);
    expect(p.calls.length).toBeLessThanOrEqual(Math.floor(elapsed / 1000) + 1);
    for (let i = 1; i < p.calls.length; i++) expect(p.calls[i]!.at - p.calls[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    expect(p.maxOpen()).toBe(1);
    // The first text goes at once; the last call carries the newest text.
    expect(p.calls[0]).toMatchObject({ at: start, text: 'text 1' });
    expect(p.calls.at(-1)!.text).toBe('text 100');
    // Coalesced: never an older text after a newer one.
    const numbers = p.calls.map((c) => Number(c.text.split(' ')[1]));
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
  });

  it('never starts a call while one is in flight, even when the interval has passed', async () => {
    const clock = createManualClock();
    const p = platform(clock);
    const pacer = createEditPacer({ intervalMs: 1000, clock, send: p.send });
    pacer.update('a');
    pacer.update('b');
    clock.advance(5000);
    await flush();
    expect(p.calls.map((c) => c.text)).toEqual(['a']);
    p.calls[0]!.finish();
    await flush();
    expect(p.calls.map((c) => c.text)).toEqual(['a', 'b']);
    p.calls[1]!.finish();
    await pacer.stop();
  });

  it('skips a failed call instead of queueing it, and waits out a rate limit', async () => {
    const clock = createManualClock();
    const p = platform(clock);
    const errors: unknown[] = [];
    const pacer = createEditPacer({
      intervalMs: 1000,
      clock,
      send: p.send,
      retryAfterMs: (err) => (err instanceof ChannelDeliveryError ? err.retryAfterMs : undefined),
      onError: (err) => errors.push(err),
    });
    pacer.update('one');
    p.calls[0]!.finish(new ChannelDeliveryError('transient', 'HTTP 502'));
    await flush();
    // Nothing new: the failed text is not tried again.
    clock.advance(10_000);
    await flush();
    expect(p.calls.map((c) => c.text)).toEqual(['one']);
    expect(errors).toHaveLength(1);

    pacer.update('two');
    await flush();
    expect(p.calls.map((c) => c.text)).toEqual(['one', 'two']);
    const rateLimitedAt = clock.now();
    p.calls[1]!.finish(new ChannelDeliveryError('rate_limited', '429', { retryAfterMs: 7000 }));
    await flush();
    pacer.update('three');
    clock.advance(6999);
    await flush();
    expect(p.calls).toHaveLength(2);
    clock.advance(1);
    await flush();
    expect(p.calls.map((c) => c.text)).toEqual(['one', 'two', 'three']);
    expect(p.calls[2]!.at - rateLimitedAt).toBe(7000);
    p.calls[2]!.finish();
    await pacer.stop();
  });

  it('stop() drops a waiting text and waits for the call in flight', async () => {
    const clock = createManualClock();
    const p = platform(clock);
    const pacer = createEditPacer({ intervalMs: 1000, clock, send: p.send });
    pacer.update('first');
    pacer.update('waiting');
    let stopped = false;
    const stopping = pacer.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    p.calls[0]!.finish();
    await stopping;
    clock.advance(5000);
    pacer.update('after stop');
    await flush();
    expect(p.calls.map((c) => c.text)).toEqual(['first']);
    expect(clock.pending()).toBe(0);
  });
});
