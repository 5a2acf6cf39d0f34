// The Telegram adapter's cost with an instant model: one `securesphere start` child with the
// Telegram channel on long polling against the Bot API stand-in, and the same turns through
// POST /api/messages on the same gateway in the same run. Prints messages per second and the
// latency a message gains through Telegram (user's update queued -> the bot's sendMessage
// arrives), as ratios to the API path. Prints numbers; never fails on a timing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startFakeOllama } from '../test/fakes/ollama-server.js';
import { startFakeTelegram, type WireMessage } from '../test/fakes/telegram-bot-api.js';
import { measureChannelVsApi, printChannelVsApi, gatewayNodeFlags, requireBuiltGateway, startGatewayChild, stopGatewayChild } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/securesphere.js');
const TOKEN = 'bench-token-0123456789';
const NODE_FLAGS = gatewayNodeFlags(BIN);
const MESSAGES = Number(process.env.BENCH_TELEGRAM_MESSAGES ?? 2_000);
const SEQUENTIAL = Number(process.env.BENCH_TELEGRAM_SEQUENTIAL ?? 300);
const CHATS = 100;
const CONCURRENCY = 32;

requireBuiltGateway('telegram');

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
const { child, url } = await startGatewayChild({ bin: BIN, nodeFlags: NODE_FLAGS, dataDir, env });

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

// A failed run must not leave the gateway child behind.
process.on('exit', () => child.kill('SIGKILL'));
// Warm-up both paths, then sequential latency, then throughput; API and Telegram interleaved
// in the same gateway process so both see the same machine state.
const { api, via } = await measureChannelVsApi({
  url,
  token: TOKEN,
  conversations: CHATS,
  warmups: 100,
  rounds: SEQUENTIAL,
  messages: MESSAGES,
  concurrency: CONCURRENCY,
  channel: {
    warm: (i) => viaTelegram(900_000 + (i % CHATS), `warm ${i}`),
    timed: (i) => viaTelegram(100_000 + (i % CHATS), `hello ${i}`),
    // Worker w owns chats 200000 + 4w .. 4w+3 (128 chats): never two messages in flight in one chat.
    load: (i) => viaTelegram(200_000 + (i % CONCURRENCY) * 4 + (Math.floor(i / CONCURRENCY) % 4), `message ${i}`),
  },
});

await stopGatewayChild(child);
await telegram.close();
await model.close();
rmSync(dataDir, { recursive: true, force: true });

printChannelVsApi('Telegram', 'update queued -> sendMessage at the Bot API', api, via, CONCURRENCY);
