// The Matrix adapter's cost with an instant model, against a real Synapse on loopback: one
// `securesphere start` child with the Matrix channel, users as matrix-js-sdk clients. Prints
// messages per second and the latency a message gains through Matrix (the user's send -> the
// bot's reply seen by the user's sync), as ratios to POST /api/messages on the same gateway in
// the same run, with Synapse's own round trip (a message from one test user seen by another)
// as the floor (a turn crosses Synapse twice, so two floors are the least a turn can take).
// Skips (exit 0) when Synapse is not installed (scripts/setup-synapse.sh). Prints numbers; never
// fails on a timing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as sdk from 'matrix-js-sdk';
import { startFakeOllama } from '../test/fakes/ollama-server.js';
import { startSynapse, synapseAvailable } from '../test/helpers/synapse.js';
import { startTestUser, type TestUser } from '../test/channels/matrix/matrix-users.js';
import { apiTurnPath, interleavedLatency, latencyLine, pct, gatewayNodeFlags, requireBuiltGateway, startGatewayChild, stopGatewayChild, timedApiTurn, workerThroughput } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/securesphere.js');
const TOKEN = 'bench-token-0123456789';
const NODE_FLAGS = gatewayNodeFlags(BIN);
// Synapse on a shared 2-core machine is the slow part: modest counts keep a run near a minute.
const MESSAGES = Number(process.env.BENCH_MATRIX_MESSAGES ?? 200);
const SEQUENTIAL = Number(process.env.BENCH_MATRIX_SEQUENTIAL ?? 40);
const ROOMS = 8;
const CONCURRENCY = 8;

requireBuiltGateway('matrix');
const available = synapseAvailable();
if (!available.available) {
  console.log(`bench/matrix skipped: ${available.reason}`);
  process.exit(0);
}

const synapse = await startSynapse();
const model = await startFakeOllama({ record: false });
const dataDir = mkdtempSync(join(tmpdir(), 'securesphere-bench-matrix-'));
// A failed run must not leave Synapse (or, below, the gateway) behind.
process.on('exit', () => synapse.killNow());

const botAccount = await synapse.register('bot');
const alice = await startTestUser(synapse, await synapse.register('alice'));
const bob = await startTestUser(synapse, await synapse.register('bob'));
writeFileSync(
  join(dataDir, 'bench.yaml'),
  [
    'security:',
    '  rate_limits: { per_user_per_minute: 1000000, per_conversation_per_minute: 1000000, per_channel_per_minute: 1000000, llm_calls_per_minute: 1000000 }',
    'sandbox: { warm_pool: 0 }',
    'channels:',
    '  matrix:',
    `    homeserver_url: ${synapse.url}`,
    `    user_id: "${botAccount.userId}"`,
    '    access_token: ${env:MATRIX_ACCESS_TOKEN}',
    '    access: open',
    '    encryption: false',
    '    typing_indicator: false',
    '',
  ].join('\n'),
);
const env = { ...process.env, SECURESPHERE_API_TOKEN: TOKEN, OLLAMA_HOST: model.url, SECURESPHERE_LOG_LEVEL: 'warn', SECURESPHERE_CONFIG: join(dataDir, 'bench.yaml'), MATRIX_ACCESS_TOKEN: botAccount.accessToken };
const { child: gateway, url } = await startGatewayChild({ bin: BIN, nodeFlags: NODE_FLAGS, dataDir, env });
process.on('exit', () => gateway.kill('SIGKILL'));

// One waiter per room and receiving user: the next message from `from` in that room resolves it.
const waiting = new Map<string, (body: string) => void>();
function listen(user: TestUser, from: string): void {
  user.client.on(sdk.RoomEvent.Timeline, (event, room, toStart) => {
    if (toStart || !room || event.getSender() !== from || event.getType() !== 'm.room.message') return;
    const key = `${user.userId}/${room.roomId}`;
    const resolve = waiting.get(key);
    if (resolve) {
      waiting.delete(key);
      resolve(String(event.getContent().body));
    }
  });
}
listen(alice, botAccount.userId);
listen(bob, alice.userId);

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 3000 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!check()) throw new Error('timed out');
}

// Rooms with the bot (alice invites; open access, so it joins) and alice-bob rooms for the floor.
const botRooms: string[] = [];
const pairRooms: string[] = [];
for (let i = 0; i < ROOMS; i++) {
  const withBot = await alice.createRoom({ invite: [botAccount.userId] });
  const pair = await alice.createRoom({ invite: [bob.userId] });
  await bob.join(pair);
  botRooms.push(withBot);
  pairRooms.push(pair);
}
await until(() => botRooms.every((r) => alice.membership(r, botAccount.userId) === 'join'));
await until(() => pairRooms.every((r) => alice.membership(r, bob.userId) === 'join'));

async function roundTrip(sender: TestUser, receiver: TestUser, roomId: string, text: string): Promise<number> {
  const t0 = performance.now();
  const seen = new Promise<string>((resolve) => waiting.set(`${receiver.userId}/${roomId}`, resolve));
  await sender.send(roomId, { msgtype: 'm.text', body: text });
  const body = await seen;
  if (body !== text) throw new Error(`unexpected message in ${roomId}: ${body}`);
  return performance.now() - t0;
}

const viaMatrix = (i: number, text: string) => roundTrip(alice, alice, botRooms[i % ROOMS]!, text);
const floor = (i: number, text: string) => roundTrip(alice, bob, pairRooms[i % ROOMS]!, text);

const viaApi = (conversation: string, text: string) => timedApiTurn(url, TOKEN, conversation, text);

// Warm-up all paths, then sequential latency interleaved, then throughput.
const [apiSeq, mxSeq, floorSeq] = await interleavedLatency(
  [
    apiTurnPath(url, TOKEN, ROOMS),
    { warm: (i) => viaMatrix(i, `warm ${i}`), timed: (i) => viaMatrix(i, `hello ${i}`) },
    { warm: (i) => floor(i, `warm ${i}`), timed: (i) => floor(i, `hello ${i}`) },
  ],
  10,
  SEQUENTIAL,
);
// Worker w owns room w (ROOMS === CONCURRENCY): never two messages in flight in one room.
const apiRate = await workerThroughput(MESSAGES, CONCURRENCY, (i) => viaApi(`conv-${i % CONCURRENCY}`, `message ${i}`));
const mxRate = await workerThroughput(MESSAGES, CONCURRENCY, (i) => viaMatrix(i, `message ${i}`));
const floorRate = await workerThroughput(MESSAGES, CONCURRENCY, (i) => floor(i, `message ${i}`));

await stopGatewayChild(gateway);
await alice.stop();
await bob.stop();
await synapse.stop();
await model.close();
rmSync(dataDir, { recursive: true, force: true });

const layout = { width: 25, decimals: 1 };
console.log(latencyLine('API turn latency:', apiSeq, 'sequential, POST /api/messages', layout));
console.log(latencyLine('Synapse floor:', floorSeq, "a user's message seen by another user's sync", layout));
console.log(latencyLine('Matrix turn latency:', mxSeq, "user's send -> the bot's reply in the user's sync", layout));
// A turn through Matrix crosses Synapse twice (the user's message to the bot, the reply back):
// what the adapter adds is what is left after two floors and the API's own turn.
console.log(
  `added by the adapter:    p50 ${(pct(mxSeq, 50) - 2 * pct(floorSeq, 50) - pct(apiSeq, 50)).toFixed(1)} ms beyond two Synapse hops + the API turn (Matrix/API ratio ${(pct(mxSeq, 50) / pct(apiSeq, 50)).toFixed(2)}x, Matrix/floor ${(pct(mxSeq, 50) / pct(floorSeq, 50)).toFixed(2)}x at p50)`,
);
console.log(`throughput:              API ${apiRate.toFixed(0)} msg/s, Matrix ${mxRate.toFixed(1)} msg/s, floor ${floorRate.toFixed(1)} msg/s over ${CONCURRENCY} rooms (Matrix/API ${(mxRate / apiRate).toFixed(3)}, Matrix/floor ${(mxRate / floorRate).toFixed(2)})`);
process.exit(0);
