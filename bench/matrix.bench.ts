// The Matrix adapter's cost with an instant model, against a real Synapse on loopback: one
// `securesphere start` child with the Matrix channel, users as matrix-js-sdk clients. Prints
// messages per second and the latency a message gains through Matrix (the user's send -> the
// bot's reply seen by the user's sync), as ratios to POST /api/messages on the same gateway in
// the same run, with Synapse's own round trip (a message from one test user seen by another)
// as the floor (a turn crosses Synapse twice, so two floors are the least a turn can take).
// Skips (exit 0) when Synapse is not installed (scripts/setup-synapse.sh). Prints numbers; never
// fails on a timing.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as sdk from 'matrix-js-sdk';
import { startFakeOllama } from '../test/fakes/ollama-server.js';
import { startSynapse, synapseAvailable } from '../test/helpers/synapse.js';
import { startTestUser, type TestUser } from '../test/channels/matrix/matrix-users.js';
import { pct } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/securesphere.js');
const TOKEN = 'bench-token-0123456789';
const NODE_FLAGS = (/^#!.*\bnode\b(.*)$/m.exec(readFileSync(BIN, 'utf8'))?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
// Synapse on a shared 2-core machine is the slow part: modest counts keep a run near a minute.
const MESSAGES = Number(process.env.BENCH_MATRIX_MESSAGES ?? 200);
const SEQUENTIAL = Number(process.env.BENCH_MATRIX_SEQUENTIAL ?? 40);
const ROOMS = 8;
const CONCURRENCY = 8;

if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) {
  console.error('bench/matrix: run `npm run build` first (npm run bench does).');
  process.exit(1);
}
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
const gateway = spawn(process.execPath, [...NODE_FLAGS, BIN, 'start', '--data-dir', dataDir, '--port', '0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
process.on('exit', () => gateway.kill('SIGKILL'));
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  gateway.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  gateway.on('exit', (code) => reject(new Error(`gateway exited with ${code}: ${out}`)));
});

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
      // Worker w owns room w (ROOMS === CONCURRENCY): never two messages in flight in one room.
      for (let i = worker; i < MESSAGES; i += CONCURRENCY) {
        await send(i);
        done++;
      }
    }),
  );
  if (done !== MESSAGES) throw new Error('lost a message');
  return MESSAGES / ((performance.now() - t0) / 1000);
}

// Warm-up all paths, then sequential latency interleaved, then throughput.
for (let i = 0; i < 10; i++) {
  await viaApi(`warm-${i % ROOMS}`, `warm ${i}`);
  await viaMatrix(i, `warm ${i}`);
  await floor(i, `warm ${i}`);
}
const apiSeq: number[] = [];
const mxSeq: number[] = [];
const floorSeq: number[] = [];
for (let i = 0; i < SEQUENTIAL; i++) {
  apiSeq.push(await viaApi(`seq-${i % ROOMS}`, `hello ${i}`));
  mxSeq.push(await viaMatrix(i, `hello ${i}`));
  floorSeq.push(await floor(i, `hello ${i}`));
}
const apiRate = await throughput((i) => viaApi(`conv-${i % CONCURRENCY}`, `message ${i}`));
const mxRate = await throughput((i) => viaMatrix(i, `message ${i}`));
const floorRate = await throughput((i) => floor(i, `message ${i}`));

gateway.kill('SIGTERM');
await new Promise((r) => gateway.on('exit', r));
await alice.stop();
await bob.stop();
await synapse.stop();
await model.close();
rmSync(dataDir, { recursive: true, force: true });

const p50 = (v: number[]) => pct(v, 50).toFixed(1);
const p99 = (v: number[]) => pct(v, 99).toFixed(1);
console.log(`API turn latency:        p50 ${p50(apiSeq)} ms, p99 ${p99(apiSeq)} ms (sequential, POST /api/messages)`);
console.log(`Synapse floor:           p50 ${p50(floorSeq)} ms, p99 ${p99(floorSeq)} ms (a user's message seen by another user's sync)`);
console.log(`Matrix turn latency:     p50 ${p50(mxSeq)} ms, p99 ${p99(mxSeq)} ms (user's send -> the bot's reply in the user's sync)`);
// A turn through Matrix crosses Synapse twice (the user's message to the bot, the reply back):
// what the adapter adds is what is left after two floors and the API's own turn.
console.log(
  `added by the adapter:    p50 ${(pct(mxSeq, 50) - 2 * pct(floorSeq, 50) - pct(apiSeq, 50)).toFixed(1)} ms beyond two Synapse hops + the API turn (Matrix/API ratio ${(pct(mxSeq, 50) / pct(apiSeq, 50)).toFixed(2)}x, Matrix/floor ${(pct(mxSeq, 50) / pct(floorSeq, 50)).toFixed(2)}x at p50)`,
);
console.log(`throughput:              API ${apiRate.toFixed(0)} msg/s, Matrix ${mxRate.toFixed(1)} msg/s, floor ${floorRate.toFixed(1)} msg/s over ${CONCURRENCY} rooms (Matrix/API ${(mxRate / apiRate).toFixed(3)}, Matrix/floor ${(mxRate / floorRate).toFixed(2)})`);
process.exit(0);
