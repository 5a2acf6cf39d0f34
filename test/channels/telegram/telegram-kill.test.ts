// Telegram across a real crash: `securesphere start` in a child process with the Telegram
// channel polling the Bot API stand-in, killed with SIGKILL while the reply waits in the outbox
// (Telegram answered 429 retry_after). After a restart the reply is delivered exactly once, and
// the same update delivered again (as Telegram does when an offset was never confirmed) is
// recognised: no second turn, no second reply.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, type FakeOllama } from '../../fakes/ollama-server.js';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/telegram-bot-api.js';
import { spawnCli, type CliProcess } from '../../helpers/cli.js';

const TOKEN = 'telegram-kill-token-123456';
let model: FakeOllama;
let telegram: FakeTelegram;
let dataDir: string;
let env: Record<string, string>;
const children: CliProcess[] = [];
const alice = { id: 1001, is_bot: false, first_name: 'Alice' };

beforeAll(async () => {
  model = await startFakeOllama();
  telegram = await startFakeTelegram();
  dataDir = mkdtempSync(join(tmpdir(), 'securesphere-telegram-kill-'));
  writeFileSync(
    join(dataDir, 'config.yaml'),
    ['channels:', '  telegram:', '    token: ${env:TELEGRAM_BOT_TOKEN}', `    api_root: ${telegram.apiRoot}`, '    access: open', 'sandbox:', '  warm_pool: 0', ''].join('\n'),
  );
  env = {
    SECURESPHERE_API_TOKEN: TOKEN,
    OLLAMA_HOST: model.url,
    SECURESPHERE_LOG_LEVEL: 'warn',
    SECURESPHERE_CONFIG: join(dataDir, 'config.yaml'),
    TELEGRAM_BOT_TOKEN: telegram.token,
  };
});

afterAll(async () => {
  for (const child of children) {
    if (child.child.exitCode === null) child.child.kill('SIGKILL');
    await child.exited;
  }
  await telegram.close();
  await model.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function startGateway(): Promise<CliProcess> {
  const p = spawnCli(['start', '--data-dir', dataDir, '--port', '0'], env);
  children.push(p);
  await p.waitFor(/listening on (http:\/\/[^\s]+) /, 60_000);
  return p;
}

const held = () => telegram.calls.filter((c) => c.method === 'getUpdates' && c.status === 0).length;

describe('Telegram across SIGKILL', () => {
  it('a reply waiting in the outbox is delivered exactly once after a restart; a redelivered update is not answered twice', async () => {
    const first = await startGateway();
    await expect.poll(held, { timeout: 30_000 }).toBe(1);
    telegram.failNext('sendMessage', { status: 429, retryAfter: 2 });
    const chat = telegram.privateChat(alice);
    const sent = telegram.userSends({ chat, from: alice, text: 'survive this' });
    await expect.poll(() => telegram.calls.some((c) => c.method === 'sendMessage' && c.status === 429), { timeout: 30_000 }).toBe(true);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(telegram.botMessages(chat.id)).toHaveLength(0);

    const second = await startGateway();
    await expect.poll(() => telegram.botMessages(chat.id).map((m) => m.text), { timeout: 30_000 }).toEqual(['survive this']);
    // Telegram delivers an unconfirmed update again after a crash: the host recognises it.
    telegram.injectUpdate('message', sent);
    telegram.userSends({ chat, from: alice, text: 'next' });
    await expect.poll(() => telegram.botMessages(chat.id).map((m) => m.text), { timeout: 30_000 }).toEqual(['survive this', 'next']);
    const turns = model.chatRequests.filter((r) => r.messages.at(-1)?.content === 'survive this');
    expect(turns).toHaveLength(1);
    expect(telegram.calls.filter((c) => c.method === 'sendMessage').map((c) => c.status)).toEqual([429, 200, 200]);
    second.child.kill('SIGKILL');
    await second.exited;
  }, 120_000);
});
