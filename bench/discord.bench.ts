// The Discord adapter's cost with an instant model: one `securesphere start` child with the
// Discord channel (discord.js on the stand-in's gateway and REST) and the same turns through
// POST /api/messages on the same gateway in the same run. Prints messages per second and the
// latency a message gains through Discord (user's MESSAGE_CREATE dispatched -> the bot's
// message posted at the REST API), as ratios to the API path. Prints numbers; never fails on a timing.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startFakeDiscord, type FakeMessage } from '../test/fakes/discord.js';
import { startFakeOllama } from '../test/fakes/ollama-server.js';
import { pct } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/securesphere.js');
const TOKEN = 'bench-token-0123456789';
const NODE_FLAGS = (/^#!.*\bnode\b(.*)$/m.exec(readFileSync(BIN, 'utf8'))?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
const MESSAGES = Number(process.env.BENCH_DISCORD_MESSAGES ?? 1_000);
const SEQUENTIAL = Number(process.env.BENCH_DISCORD_SEQUENTIAL ?? 200);
const CHATS = 64;
const CONCURRENCY = 16;

if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) {
  console.error('bench/discord: run `npm run build` first (npm run bench does).');
  process.exit(1);
}

const model = await startFakeOllama({ record: false });
const discord = await startFakeDiscord();
const dataDir = mkdtempSync(join(tmpdir(), 'securesphere-bench-discord-'));
writeFileSync(
  join(dataDir, 'bench.yaml'),
  [
    'security:',
    '  rate_limits: { per_user_per_minute: 1000000, per_conversation_per_minute: 1000000, per_channel_per_minute: 1000000, llm_calls_per_minute: 1000000 }',
    'sandbox: { warm_pool: 0 }',
    'channels:',
    '  discord:',
    '    token: ${env:DISCORD_BOT_TOKEN}',
    `    api_url: ${discord.apiUrl}`,
    '    access: open',
    '',
  ].join('\n'),
);
const env = {
  ...process.env,
  SECURESPHERE_API_TOKEN: TOKEN,
  OLLAMA_HOST: model.url,
  SECURESPHERE_LOG_LEVEL: 'warn',
  SECURESPHERE_CONFIG: join(dataDir, 'bench.yaml'),
  DISCORD_BOT_TOKEN: discord.token,
};
const child = spawn(process.execPath, [...NODE_FLAGS, BIN, 'start', '--data-dir', dataDir, '--port', '0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
// A failed run must not leave the gateway child behind.
process.on('exit', () => child.kill('SIGKILL'));
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  child.on('exit', (code) => reject(new Error(`gateway exited with ${code}: ${out}`)));
});
await discord.gateway.waitReady(60_000);

// One waiter per DM channel: the next bot message there resolves it.
const waiting = new Map<string, (message: FakeMessage) => void>();
discord.onBotMessage((message, kind) => {
  if (kind !== 'created') return;
  const resolve = waiting.get(message.channelId);
  if (resolve) {
    waiting.delete(message.channelId);
    resolve(message);
  }
});

async function viaDiscord(user: number, text: string): Promise<number> {
  const userId = String(400_000_000_000_000_000n + BigInt(user));
  const channelId = discord.dmChannel(userId);
  const t0 = performance.now();
  const reply = new Promise<FakeMessage>((resolve) => waiting.set(channelId, resolve));
  discord.sendMessage({ user: userId, channelId, content: text });
  const message = await reply;
  if (message.content !== text) throw new Error(`unexpected reply for user ${user}: ${message.content}`);
  return performance.now() - t0;
}

async function viaApi(conversation: string, text: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ conversation_id: conversation, text }),
  });
  const body = (await res.json()) as { status?: string; reply?: { text?: string } };
  if (res.status !== 200 || body.status !== 'completed' || body.reply?.text !== text) throw new Error(`unexpected answer ${res.status} ${JSON.stringify(body)}`);
  return performance.now() - t0;
}

async function throughput(send: (i: number) => Promise<number>): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      // Each worker owns its conversations, so none has two messages in flight.
      for (let i = worker; i < MESSAGES; i += CONCURRENCY) {
        await send(i);
        done++;
      }
    }),
  );
  if (done !== MESSAGES) throw new Error('lost a message');
  return MESSAGES / ((performance.now() - t0) / 1000);
}

// Warm-up both paths, then sequential latency, then throughput; API and Discord interleaved
// in the same gateway process so both see the same machine state.
for (let i = 0; i < 50; i++) {
  await viaApi(`warm-${i % CHATS}`, `warm ${i}`);
  await viaDiscord(900 + (i % CHATS), `warm ${i}`);
}
const apiSeq: number[] = [];
const dcSeq: number[] = [];
for (let i = 0; i < SEQUENTIAL; i++) {
  apiSeq.push(await viaApi(`seq-${i % CHATS}`, `hello ${i}`));
  dcSeq.push(await viaDiscord(1_000 + (i % CHATS), `hello ${i}`));
}
const apiRate = await throughput((i) => viaApi(`conv-${i % CHATS}`, `message ${i}`));
// Worker w owns users 2000 + 4w .. 4w+3: never two messages in flight in one DM.
const dcRate = await throughput((i) => viaDiscord(2_000 + (i % CONCURRENCY) * 4 + (Math.floor(i / CONCURRENCY) % 4), `message ${i}`));

child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
await discord.close();
await model.close();
rmSync(dataDir, { recursive: true, force: true });

const added50 = pct(dcSeq, 50) - pct(apiSeq, 50);
const added99 = pct(dcSeq, 99) - pct(apiSeq, 99);
console.log(`API turn latency:          p50 ${pct(apiSeq, 50).toFixed(2)} ms, p99 ${pct(apiSeq, 99).toFixed(2)} ms (sequential, POST /api/messages)`);
console.log(`Discord turn latency:      p50 ${pct(dcSeq, 50).toFixed(2)} ms, p99 ${pct(dcSeq, 99).toFixed(2)} ms (MESSAGE_CREATE dispatched -> bot message posted)`);
console.log(`added by Discord:          p50 ${added50.toFixed(2)} ms, p99 ${added99.toFixed(2)} ms per message (ratio ${(pct(dcSeq, 50) / pct(apiSeq, 50)).toFixed(2)}x at p50)`);
console.log(`throughput:                API ${apiRate.toFixed(0)} msg/s, Discord ${dcRate.toFixed(0)} msg/s over ${CONCURRENCY} clients (ratio ${(dcRate / apiRate).toFixed(2)})`);
console.log('note: Discord allows a bot 50 REST requests per second (discord.js enforces it up front; the outbox waits as told). Each reply is one request here, so that limit, not the adapter, bounds the Discord throughput and shows in its p99.');
