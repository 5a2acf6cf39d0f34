// The Slack adapter's cost with an instant model, in both connection modes, against the Slack
// stand-in on 127.0.0.1: events per second and the added latency (Slack event sent -> reply
// posted through chat.postMessage), each as a ratio to the same turns through POST /api/messages
// in the same gateway process and the same run. The gateway is a real `securesphere start`
// (dist/) with channels.slack configured. Prints numbers; never fails on a timing.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { startFakeOllama } from '../test/fakes/ollama-server.js';
import { startFakeSlack, type FakeSlack } from '../test/fakes/slack.js';
import { pct, gatewayNodeFlags, requireBuiltGateway, startGatewayChild, stopGatewayChild } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/securesphere.js');
const TOKEN = 'bench-token-0123456789';
const NODE_FLAGS = gatewayNodeFlags(BIN);
const MESSAGES = Number(process.env.BENCH_SLACK_MESSAGES ?? 2_000);
const SEQUENTIAL = Math.min(300, MESSAGES);
const CONVERSATIONS = 100;
const CONCURRENCY = 32;

requireBuiltGateway('slack');

interface Run {
  p50: number;
  p99: number;
  rate: number;
}

async function startGateway(dataDir: string, slack: FakeSlack, mode: 'socket' | 'http', ollamaUrl: string): Promise<{ child: ChildProcess; url: string }> {
  writeFileSync(
    join(dataDir, 'bench.yaml'),
    stringify({
      security: { rate_limits: { per_user_per_minute: 1e6, per_conversation_per_minute: 1e6, per_channel_per_minute: 1e6, llm_calls_per_minute: 1e6 } },
      sandbox: { warm_pool: 0 },
      channels: {
        slack: { mode, bot_token: '${env:SLACK_BOT_TOKEN}', app_token: '${env:SLACK_APP_TOKEN}', signing_secret: '${env:SLACK_SIGNING_SECRET}', api_url: slack.apiUrl, access: 'open' },
      },
    }),
  );
  const env = {
    ...process.env,
    SECURESPHERE_API_TOKEN: TOKEN,
    OLLAMA_HOST: ollamaUrl,
    SECURESPHERE_LOG_LEVEL: 'warn',
    SECURESPHERE_CONFIG: join(dataDir, 'bench.yaml'),
    SLACK_BOT_TOKEN: slack.bot.token,
    SLACK_APP_TOKEN: slack.bot.appToken,
    SLACK_SIGNING_SECRET: slack.signingSecret,
  };
  const { child, url } = await startGatewayChild({ bin: BIN, nodeFlags: NODE_FLAGS, dataDir, env });
  // Wait for the Slack channel itself (Socket Mode connects after the server listens).
  for (;;) {
    const health = (await (await fetch(`${url}/api/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { channels?: Array<{ name: string; state: string }> };
    if (health.channels?.some((c) => c.name === 'slack' && c.state === 'running')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url };
}

async function measure(send: (conversation: number, i: number) => Promise<void>): Promise<Run> {
  for (let i = 0; i < 100; i++) await send(i % CONVERSATIONS, i);
  const seq: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t0 = performance.now();
    await send(i % CONVERSATIONS, 1_000 + i);
    seq.push(performance.now() - t0);
  }
  let next = 0;
  const t0 = performance.now();
  // Each client owns conversations (i % CONCURRENCY), so turns of one conversation never overlap.
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, client) => {
      for (;;) {
        const i = next++;
        if (i >= MESSAGES) return;
        await send(client + CONCURRENCY * (i % Math.floor(CONVERSATIONS / CONCURRENCY)), 10_000 + i);
      }
    }),
  );
  return { p50: pct(seq, 50), p99: pct(seq, 99), rate: MESSAGES / ((performance.now() - t0) / 1000) };
}

async function benchMode(mode: 'socket' | 'http'): Promise<{ api: Run; slack: Run }> {
  const fake = await startFakeOllama({ record: false });
  const slack = await startFakeSlack();
  const dataDir = mkdtempSync(join(tmpdir(), `securesphere-bench-slack-${mode}-`));
  const users = Array.from({ length: CONVERSATIONS }, (_, c) => slack.addUser({ id: `U0BENCH${c}`, name: `user${c}` }).id);
  const channels = Array.from({ length: CONVERSATIONS }, (_, c) => slack.addChannel({ id: `D0BENCH${c}`, name: `dm${c}`, isIm: true }).id);
  const waiting = new Map<string, () => void>();
  slack.onPosted((m) => {
    const done = waiting.get(m.channel);
    waiting.delete(m.channel);
    done?.();
  });
  const { child, url } = await startGateway(dataDir, slack, mode, fake.url);
  if (mode === 'http') slack.useHttp(`${url}/slack/events`);

  const api = await measure(async (c, i) => {
    const res = await fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ conversation_id: `api-${c}`, text: `hello ${i}` }),
    });
    const body = (await res.json()) as { status?: string };
    if (res.status !== 200 || body.status !== 'completed') throw new Error(`unexpected answer ${res.status} ${JSON.stringify(body)}`);
  });
  const viaSlack = await measure(async (c, i) => {
    let timer: NodeJS.Timeout | undefined;
    const replied = new Promise<void>((resolve, reject) => {
      waiting.set(channels[c]!, resolve);
      timer = setTimeout(() => reject(new Error(`no reply in ${channels[c]} within 30 s`)), 30_000);
    }).finally(() => clearTimeout(timer));
    const acked = await slack.sendMessage({ user: users[c]!, channel: channels[c]!, text: `hello ${i}` });
    if (acked.status !== 200) throw new Error(`slack event answered ${acked.status}`);
    await replied;
  });
  await stopGatewayChild(child);
  await slack.close();
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { api, slack: viaSlack };
}

for (const mode of ['socket', 'http'] as const) {
  const { api, slack } = await benchMode(mode);
  const label = mode === 'socket' ? 'Socket Mode' : 'HTTP mode  ';
  console.log(`POST /api/messages (${mode} run):   p50 ${api.p50.toFixed(2)} ms, p99 ${api.p99.toFixed(2)} ms, ${api.rate.toFixed(0)} messages/s`);
  console.log(`Slack ${label} event -> reply:   p50 ${slack.p50.toFixed(2)} ms, p99 ${slack.p99.toFixed(2)} ms, ${slack.rate.toFixed(0)} events/s`);
  console.log(
    `Slack ${label} vs API:           added latency p50 ${(slack.p50 - api.p50).toFixed(2)} ms (x${(slack.p50 / api.p50).toFixed(2)}), throughput x${(slack.rate / api.rate).toFixed(2)}  (${MESSAGES} messages, ${CONVERSATIONS} conversations, ${CONCURRENCY} clients)`,
  );
}
