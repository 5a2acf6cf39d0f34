// The Discord adapter's cost with an instant model: one `securesphere start` child with the
// Discord channel (discord.js on the stand-in's gateway and REST) and the same turns through
// POST /api/messages on the same gateway in the same run. Prints messages per second and the
// latency a message gains through Discord (user's MESSAGE_CREATE dispatched -> the bot's
// message posted at the REST API), as ratios to the API path. Prints numbers; never fails on a timing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startFakeDiscord, type FakeMessage } from '../test/fakes/discord.js';
import { startFakeOllama } from '../test/fakes/ollama-server.js';
import { measureChannelVsApi, printChannelVsApi, gatewayNodeFlags, requireBuiltGateway, startGatewayChild, stopGatewayChild } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/securesphere.js');
const TOKEN = 'bench-token-0123456789';
const NODE_FLAGS = gatewayNodeFlags(BIN);
const MESSAGES = Number(process.env.BENCH_DISCORD_MESSAGES ?? 1_000);
const SEQUENTIAL = Number(process.env.BENCH_DISCORD_SEQUENTIAL ?? 200);
const CHATS = 64;
const CONCURRENCY = 16;

requireBuiltGateway('discord');

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
const { child, url } = await startGatewayChild({ bin: BIN, nodeFlags: NODE_FLAGS, dataDir, env });
// A failed run must not leave the gateway child behind.
process.on('exit', () => child.kill('SIGKILL'));
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

// Warm-up both paths, then sequential latency, then throughput; API and Discord interleaved
// in the same gateway process so both see the same machine state.
const { api, via } = await measureChannelVsApi({
  url,
  token: TOKEN,
  conversations: CHATS,
  warmups: 50,
  rounds: SEQUENTIAL,
  messages: MESSAGES,
  concurrency: CONCURRENCY,
  channel: {
    warm: (i) => viaDiscord(900 + (i % CHATS), `warm ${i}`),
    timed: (i) => viaDiscord(1_000 + (i % CHATS), `hello ${i}`),
    // Worker w owns users 2000 + 4w .. 4w+3: never two messages in flight in one DM.
    load: (i) => viaDiscord(2_000 + (i % CONCURRENCY) * 4 + (Math.floor(i / CONCURRENCY) % 4), `message ${i}`),
  },
});

await stopGatewayChild(child);
await discord.close();
await model.close();
rmSync(dataDir, { recursive: true, force: true });

printChannelVsApi('Discord', 'MESSAGE_CREATE dispatched -> bot message posted', api, via, CONCURRENCY);
console.log('note: Discord allows a bot 50 REST requests per second (discord.js enforces it up front; the outbox waits as told). Each reply is one request here, so that limit, not the adapter, bounds the Discord throughput and shows in its p99.');
