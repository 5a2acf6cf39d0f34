// Telegram across a real crash: `securesphere start` in a child process with the Telegram
// channel polling the Bot API stand-in, killed with SIGKILL while the reply waits in the outbox
// (Telegram answered 429 retry_after). After a restart the reply is delivered exactly once, and
// the same update delivered again (as Telegram does when an offset was never confirmed) is
// recognised: no second turn, no second reply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOllama } from '../../fakes/ollama-server.js';
import type { FakeTelegram } from '../../fakes/telegram-bot-api.js';
import { openTelegramProcessHarness, type TelegramProcessHarness } from './telegram-process.js';

let harness: TelegramProcessHarness;
let model: FakeOllama;
let telegram: FakeTelegram;
const alice = { id: 1001, is_bot: false, first_name: 'Alice' };

beforeAll(async () => {
  harness = await openTelegramProcessHarness({ token: 'telegram-kill-token-123456', tmpPrefix: 'securesphere-telegram-kill-' });
  ({ model, telegram } = harness);
});

afterAll(async () => {
  await harness?.close();
});

const startGateway = () => harness.start();
const held = () => harness.polling();

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
