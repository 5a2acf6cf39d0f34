// Helpers shared by the benchmarks (not a benchmark itself: bench/run.ts runs *.bench.ts only).
import { performance } from 'node:perf_hooks';

/**
 * The p-th percentile (p in 0..100) of values, nearest rank rounded down: the element at
 * floor(p/100 * n) of a sorted copy (values is left as it is). NaN for an empty list.
 */
export function pct(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Column widths of time()'s line: `<label> <n> ops  <ms> ms/op  <ops/s> ops/s`. */
export interface TimeFormat {
  labelWidth: number;
  countWidth: number;
  /** Decimals of the ms/op figure. */
  decimals: number;
  msWidth: number;
  /** Width of the ops/s column; leave it out to print no ops/s column. */
  opsWidth?: number;
}

const DEFAULT_FORMAT: TimeFormat = { labelWidth: 44, countWidth: 6, decimals: 3, msWidth: 8, opsWidth: 8 };

function report(label: string, n: number, ms: number, f: TimeFormat): number {
  let line = `${label.padEnd(f.labelWidth)} ${n.toString().padStart(f.countWidth)} ops  ${(ms / n).toFixed(f.decimals).padStart(f.msWidth)} ms/op`;
  if (f.opsWidth !== undefined) line += `  ${Math.round((n * 1000) / ms).toString().padStart(f.opsWidth)} ops/s`;
  console.log(line);
  return ms / n;
}

/**
 * Calls fn(0) .. fn(n-1) one after another, prints one line and returns the milliseconds per
 * call. A synchronous fn is timed without any await; when fn returns a promise, each call is
 * awaited before the next one starts and time() returns a promise.
 */
export function time(label: string, n: number, fn: (i: number) => Promise<unknown>, format?: TimeFormat): Promise<number>;
export function time(label: string, n: number, fn: (i: number) => unknown, format?: TimeFormat): number;
export function time(label: string, n: number, fn: (i: number) => unknown, format: TimeFormat = DEFAULT_FORMAT): number | Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const result = fn(i);
    if (result instanceof Promise) {
      return (async () => {
        await result;
        for (let j = i + 1; j < n; j++) await fn(j);
        return report(label, n, performance.now() - start, format);
      })();
    }
  }
  return report(label, n, performance.now() - start, format);
}
