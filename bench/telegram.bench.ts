// The Telegram adapter's cost with an instant model: one `securesphere start` child with the
// Telegram channel on long polling against the Bot API stand-in, and the same turns through
// POST /api/messages on the same gateway in the same run. Prints messages per second and the
// latency a message gains through Telegram (user's update queued -> the bot's sendMessage
// arrives), as ratios to the API path. Prints numbers; never fails on a timing.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startFakeOllama } from '../test/fakes/ollama-server.js';
import { startFakeTelegram, type WireMessage } from '../test/fakes/telegram-bot-api.js';
import { pct } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/securesphere.js');
const TOKEN = 'bench-token-0123456789';
const NODE_FLAGS = (/^#!.*\bnode\b(.*)$/m.exec(readFileSync(BIN, 'utf8'))?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
const MESSAGES = Number(process.env.BENCH_TELEGRAM_MESSAGES ?? 2_000);
const SEQUENTIAL = Number(process.env.BENCH_TELEGRAM_SEQUENTIAL ?? 300);
const CHATS = 100;
const CONCURRENCY = 32;

if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) {
  console.error('bench/telegram: run `npm run build` first (npm run bench does).');
  process.exit(1);
}

const model = await startFakeOllama({ record: false });
const telegram = await startFakeTelegram({ recordCalls: false });
const dataDir = mkdtempSync(join(tmpdir(), 'securesphere-bench-telegram-'));
writeFileSync(
  join(dataDir, 'bench.yaml'),
  [
    'security:',
    '  rate_limits: { per_user_per_minute: 1000000, per_conversation_per_minute: 1000000, per_channel_per_minute: 1000000, llm_calls_per_minute: 1000000 }',
    'sandbox: { warm_pool: 0 }',
    'channels:',
    '  telegram:',
    '    token: ${env:TELEGRAM_BOT_TOKEN}',
    `    api_root: ${telegram.apiRoot}`,
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
  TELEGRAM_BOT_TOKEN: telegram.token,
};
const child = spawn(process.execPath, [...NODE_FLAGS, BIN, 'start', '--data-dir', dataDir, '--port', '0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  child.on('exit', (code) => reject(new Error(`gateway exited with ${code}: ${out}`)));
});

// One waiter per chat: the next bot message in that chat resolves it.
const waiting = new Map<number, (message: WireMessage) => void>();
telegram.onBotMessage((message) => {
  const resolve = waiting.get(message.chat.id);
  if (resolve) {
    waiting.delete(message.chat.id);
    resolve(message);
  }
});

async function viaTelegram(chat: number, text: string): Promise<number> {
  const user = telegram.user(chat);
  const t0 = performance.now();
  const reply = new Promise<WireMessage>((resolve) => waiting.set(chat, resolve));
  telegram.userSends({ chat: telegram.privateChat(user), from: user, text });
  const message = await reply;
  if (message.text !== text) throw new Error(`unexpected reply in chat ${chat}: ${message.text}`);
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
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      // Each worker owns its chats, so no chat has two messages in flight.
      for (let i = worker; i < MESSAGES; i += CONCURRENCY) {
        next++;
        await send(i);
      }
    }),
  );
  if (next !== MESSAGES) throw new Error('lost a message');
  return MESSAGES / ((performance.now() - t0) / 1000);
}

// Warm-up both paths, then sequential latency, then throughput; API and Telegram interleaved
// in the same gateway process so both see the same machine state.
// A failed run must not leave the gateway child behind.
process.on('exit', () => child.kill('SIGKILL'));
for (let i = 0; i < 100; i++) {
  await viaApi(`warm-${i % CHATS}`, `warm ${i}`);
  await viaTelegram(900_000 + (i % CHATS), `warm ${i}`);
}
const apiSeq: number[] = [];
const tgSeq: number[] = [];
for (let i = 0; i < SEQUENTIAL; i++) {
  apiSeq.push(await viaApi(`seq-${i % CHATS}`, `hello ${i}`));
  tgSeq.push(await viaTelegram(100_000 + (i % CHATS), `hello ${i}`));
}
const apiRate = await throughput((i) => viaApi(`conv-${i % CHATS}`, `message ${i}`));
// Worker w owns chats 200000 + 4w .. 4w+3 (128 chats): never two messages in flight in one chat.
const tgRate = await throughput((i) => viaTelegram(200_000 + (i % CONCURRENCY) * 4 + (Math.floor(i / CONCURRENCY) % 4), `message ${i}`));

child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
await telegram.close();
await model.close();
rmSync(dataDir, { recursive: true, force: true });

const added50 = pct(tgSeq, 50) - pct(apiSeq, 50);
const added99 = pct(tgSeq, 99) - pct(apiSeq, 99);
console.log(`API turn latency:          p50 ${pct(apiSeq, 50).toFixed(2)} ms, p99 ${pct(apiSeq, 99).toFixed(2)} ms (sequential, POST /api/messages)`);
console.log(`Telegram turn latency:     p50 ${pct(tgSeq, 50).toFixed(2)} ms, p99 ${pct(tgSeq, 99).toFixed(2)} ms (update queued -> sendMessage at the Bot API)`);
console.log(`added by Telegram:         p50 ${added50.toFixed(2)} ms, p99 ${added99.toFixed(2)} ms per message (ratio ${(pct(tgSeq, 50) / pct(apiSeq, 50)).toFixed(2)}x at p50)`);
console.log(`throughput:                API ${apiRate.toFixed(0)} msg/s, Telegram ${tgRate.toFixed(0)} msg/s over ${CONCURRENCY} clients (ratio ${(tgRate / apiRate).toFixed(2)})`);
