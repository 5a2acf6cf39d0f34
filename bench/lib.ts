// Helpers shared by the benchmarks (not a benchmark itself: bench/run.ts runs *.bench.ts only):
// percentiles, timed loops, and the pieces of the channel benchmarks (a `securesphere start`
// child, API turns, interleaved sequential latency, throughput over workers, the report lines).
// Never fails on a timing: only a broken run throws.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

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

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Exits with a hint when dist/ is missing: the channel benchmarks run the built gateway. */
/**
 * The node flags `./bin/securesphere.js` starts the gateway with (its sh line's `exec "$r" FLAGS
 * "$0"`), plus BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"): every bench runs
 * the gateway as the launcher does.
 */
export function gatewayNodeFlags(bin: string): string[] {
  return [
    ...(/exec "\$r" (.*?) "\$0"/.exec(readFileSync(bin, 'utf8'))?.[1] ?? '').trim().split(/\s+/).filter(Boolean),
    ...(process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean),
  ];
}

export function requireBuiltGateway(bench: string): void {
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) {
    console.error(`bench/${bench}: run \`npm run build\` first (npm run bench does).`);
    process.exit(1);
  }
}

export interface GatewayChildOptions {
  bin: string;
  nodeFlags: readonly string[];
  dataDir: string;
  env: NodeJS.ProcessEnv;
}

/** Spawns `securesphere start` on a free port; resolves once it prints its URL, rejects if it exits first. */
export async function startGatewayChild(o: GatewayChildOptions): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...o.nodeFlags, o.bin, 'start', '--data-dir', o.dataDir, '--port', '0'], { env: o.env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`gateway exited with ${code}: ${out}`)));
  });
  return { child, url };
}

/** Stops a gateway child the way an operator does (SIGTERM) and waits until it has exited. */
export async function stopGatewayChild(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
}

/** One turn through POST /api/messages that must complete with the instant model's echo of `text`; its milliseconds. */
export async function timedApiTurn(url: string, token: string, conversation: string, text: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ conversation_id: conversation, text }),
  });
  const body = (await res.json()) as { status?: string; reply?: { text?: string } };
  if (res.status !== 200 || body.status !== 'completed' || body.reply?.text !== text) throw new Error(`unexpected answer ${res.status} ${JSON.stringify(body)}`);
  return performance.now() - t0;
}

/** A path a turn can take: an untimed warm-up turn and a timed one (resolving to its milliseconds). */
export interface TurnPath {
  warm(i: number): Promise<unknown>;
  timed(i: number): Promise<number>;
}

/** The API path of a channel benchmark: warm-up and timed turns spread over `conversations` conversations. */
export function apiTurnPath(url: string, token: string, conversations: number): TurnPath {
  return {
    warm: (i) => timedApiTurn(url, token, `warm-${i % conversations}`, `warm ${i}`),
    timed: (i) => timedApiTurn(url, token, `seq-${i % conversations}`, `hello ${i}`),
  };
}

/**
 * Sequential latency of several paths, interleaved turn by turn in the same run so all see the
 * same machine state: `warmups` untimed rounds, then `rounds` timed ones, each round one turn
 * per path in the given order. Returns each path's milliseconds, in the order of `paths`.
 */
export async function interleavedLatency<const Paths extends readonly TurnPath[]>(paths: Paths, warmups: number, rounds: number): Promise<{ -readonly [K in keyof Paths]: number[] }> {
  for (let i = 0; i < warmups; i++) for (const path of paths) await path.warm(i);
  const latencies = paths.map((): number[] => []);
  for (let i = 0; i < rounds; i++) for (const [p, path] of paths.entries()) latencies[p]!.push(await path.timed(i));
  return latencies as { -readonly [K in keyof Paths]: number[] };
}

/**
 * Messages per second of `messages` sends over `concurrency` workers: worker w sends w,
 * w + concurrency, ... one after another, so a caller that maps i to a conversation by
 * i % concurrency never has two messages in flight in one conversation.
 */
export async function workerThroughput(messages: number, concurrency: number, send: (i: number) => Promise<unknown>): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = worker; i < messages; i += concurrency) {
        await send(i);
        done++;
      }
    }),
  );
  if (done !== messages) throw new Error('lost a message');
  return messages / ((performance.now() - t0) / 1000);
}

/** A channel's path: warm-up and timed turns, and the turns of the throughput run (i as workerThroughput gives it). */
export interface ChannelPath extends TurnPath {
  load(i: number): Promise<unknown>;
}

export interface ChannelVsApiOptions {
  url: string;
  token: string;
  /** API conversations the turns are spread over. */
  conversations: number;
  warmups: number;
  rounds: number;
  messages: number;
  concurrency: number;
  channel: ChannelPath;
}

/** Sequential latency (API and channel interleaved), then the API's throughput, then the channel's. */
export async function measureChannelVsApi(o: ChannelVsApiOptions): Promise<{ api: PathRun; via: PathRun }> {
  const [apiLatencies, viaLatencies] = await interleavedLatency([apiTurnPath(o.url, o.token, o.conversations), o.channel], o.warmups, o.rounds);
  const apiRate = await workerThroughput(o.messages, o.concurrency, (i) => timedApiTurn(o.url, o.token, `conv-${i % o.conversations}`, `message ${i}`));
  const viaRate = await workerThroughput(o.messages, o.concurrency, (i) => o.channel.load(i));
  return { api: { latencies: apiLatencies, rate: apiRate }, via: { latencies: viaLatencies, rate: viaRate } };
}

/** `<label, padded> p50 <ms> ms, p99 <ms> ms (<what>)`. */
export function latencyLine(label: string, ms: readonly number[], what: string, layout: { width: number; decimals: number } = { width: 27, decimals: 2 }): string {
  return `${label.padEnd(layout.width)}p50 ${pct(ms, 50).toFixed(layout.decimals)} ms, p99 ${pct(ms, 99).toFixed(layout.decimals)} ms (${what})`;
}

/** One path's sequential latencies and its throughput in messages per second. */
export interface PathRun {
  latencies: readonly number[];
  rate: number;
}

/** The four report lines of a channel benchmark: API and channel latency, what the channel adds, both throughputs. */
export function printChannelVsApi(channel: string, what: string, api: PathRun, via: PathRun, clients: number): void {
  const added = (p: number) => (pct(via.latencies, p) - pct(api.latencies, p)).toFixed(2);
  console.log(latencyLine('API turn latency:', api.latencies, 'sequential, POST /api/messages'));
  console.log(latencyLine(`${channel} turn latency:`, via.latencies, what));
  console.log(`${`added by ${channel}:`.padEnd(27)}p50 ${added(50)} ms, p99 ${added(99)} ms per message (ratio ${(pct(via.latencies, 50) / pct(api.latencies, 50)).toFixed(2)}x at p50)`);
  console.log(`${'throughput:'.padEnd(27)}API ${api.rate.toFixed(0)} msg/s, ${channel} ${via.rate.toFixed(0)} msg/s over ${clients} clients (ratio ${(via.rate / api.rate).toFixed(2)})`);
}
