// Gateway overhead with an instant model: start-up time, resident memory, per-message
// overhead (gateway latency minus the bare model round trip) and throughput through
// POST /api/messages across 100 conversations. Prints numbers; never fails on a timing.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Ollama } from 'ollama';
import { startFakeOllama } from '../test/fakes/ollama-server.js';
import { pct, gatewayNodeFlags, requireBuiltGateway, startGatewayChild, stopGatewayChild } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/securesphere.js');
const TOKEN = 'bench-token-0123456789';
const NODE_FLAGS = gatewayNodeFlags(BIN);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const CONVERSATIONS = 100;
const CONCURRENCY = 32;

/** User+system CPU seconds a process has used so far (from /proc/<pid>/stat, in clock ticks). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

requireBuiltGateway('gateway');

const fake = await startFakeOllama({ record: false });
const dataDir = mkdtempSync(join(tmpdir(), 'securesphere-bench-'));
// Rate limits far above the load, so the benchmark measures the pipeline, not the limiter's refusals.
writeFileSync(
  join(dataDir, 'bench.yaml'),
  'security:\n  rate_limits: { per_user_per_minute: 1000000, per_conversation_per_minute: 1000000, per_channel_per_minute: 1000000, llm_calls_per_minute: 1000000 }\nsandbox: { warm_pool: 0 }\n',
);
const env = { ...process.env, SECURESPHERE_API_TOKEN: TOKEN, OLLAMA_HOST: fake.url, SECURESPHERE_LOG_LEVEL: 'warn', SECURESPHERE_CONFIG: join(dataDir, 'bench.yaml') };

// 1. Start-up: process spawn to "listening", three times.
const starts: number[] = [];
let child: ChildProcess | undefined;
let url = '';
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const { child: c, url: listening } = await startGatewayChild({ bin: BIN, nodeFlags: NODE_FLAGS, dataDir, env });
  url = listening;
  starts.push(performance.now() - t0);
  if (i < 2) {
    await stopGatewayChild(c);
  } else child = c;
}
starts.sort((a, b) => a - b);
await new Promise((r) => setTimeout(r, 500));
const idleRss = rssMb(child!.pid!);

async function post(conversation: string, text: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ conversation_id: conversation, text, user: `user-${conversation}` }),
  });
  const body = (await res.json()) as { status?: string };
  if (res.status !== 200 || body.status !== 'completed') throw new Error(`unexpected answer ${res.status} ${JSON.stringify(body)}`);
  return performance.now() - t0;
}

// 2. Bare model round trip through the same client library, sequential.
const ollama = new Ollama({ host: fake.url });
const bare: number[] = [];
for (let i = 0; i < 300; i++) {
  const t0 = performance.now();
  await ollama.chat({ model: 'llama3.1', messages: [{ role: 'user', content: `hello ${i}` }], stream: true }).then(async (s) => {
    for await (const _ of s) void _;
  });
  bare.push(performance.now() - t0);
}
bare.sort((a, b) => a - b);

// 3. Gateway latency, sequential (after a warm-up).
for (let i = 0; i < 200; i++) await post(`warm-${i % CONVERSATIONS}`, `warm ${i}`);
const seq: number[] = [];
for (let i = 0; i < 500; i++) seq.push(await post(`seq-${i % CONVERSATIONS}`, `hello ${i}`));
seq.sort((a, b) => a - b);

// 4. Throughput across 100 conversations with CONCURRENCY clients.
let next = 0;
const gatewayCpu0 = cpuSeconds(child!.pid!);
const benchCpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < MESSAGES) {
      const i = next++;
      await post(`conv-${i % CONVERSATIONS}`, `message ${i}`);
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
const gatewayCpuMs = ((cpuSeconds(child!.pid!) - gatewayCpu0) * 1000) / MESSAGES;
const benchCpu = process.cpuUsage(benchCpu0);
const clientCpuMs = (benchCpu.user + benchCpu.system) / 1000 / MESSAGES;
const loadedRss = rssMb(child!.pid!);
await stopGatewayChild(child!);
await fake.close();
rmSync(dataDir, { recursive: true, force: true });

const overheadP50 = pct(seq, 50) - pct(bare, 50);
const overheadP99 = pct(seq, 99) - pct(bare, 99);
const rate = MESSAGES / seconds;
console.log(`start to listening:        min ${starts[0]!.toFixed(0)} ms, median ${starts[1]!.toFixed(0)} ms, max ${starts[2]!.toFixed(0)} ms   (peer gateway: 9000-16000 ms; target < 1000 ms)`);
console.log(`resident memory idle:      ${idleRss.toFixed(1)} MB   (peer: ~1000 MB; target < 100 MB)`);
console.log(`resident after ${MESSAGES} msgs: ${loadedRss.toFixed(1)} MB   (peer under load: ~1800 MB)`);
console.log(`bare model round trip:     p50 ${pct(bare, 50).toFixed(3)} ms, p99 ${pct(bare, 99).toFixed(3)} ms`);
console.log(`gateway message latency:   p50 ${pct(seq, 50).toFixed(3)} ms, p99 ${pct(seq, 99).toFixed(3)} ms (sequential)`);
console.log(`gateway overhead/message:  p50 ${overheadP50.toFixed(3)} ms, p99 ${overheadP99.toFixed(3)} ms   (peer: 256 ms p50; target < 2 ms)`);
console.log(`throughput:                ${rate.toFixed(0)} messages/s over ${CONVERSATIONS} conversations, ${CONCURRENCY} clients   (peer: 3.4/s; target > 2000/s)`);
console.log(`CPU per message:           gateway ${gatewayCpuMs.toFixed(3)} ms, load client + fake model ${clientCpuMs.toFixed(3)} ms (2 cores shared; gateway-bound ceiling ${(1000 / gatewayCpuMs).toFixed(0)} messages/s per core)`);
console.log(`ratios vs peer:            start ${(12500 / starts[1]!).toFixed(0)}x faster, overhead ${(256 / Math.max(overheadP50, 0.001)).toFixed(0)}x lower, throughput ${(rate / 3.4).toFixed(0)}x higher`);
