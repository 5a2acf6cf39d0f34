// Telegram end to end: the whole gateway (channel host, outbox, orchestrator, approvals, the
// fake model) with the Telegram channel built from its config section, grammy talking over a
// real socket to the Bot API stand-in. Replies, approvals by inline buttons (a stranger
// refused, a double press answered "already decided", the prompt edited without buttons),
// groups (ignored without a mention), /status and /new, 429 retry_after honoured by the
// outbox, a Telegram outage survived, and webhook mode refusing a wrong secret.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { turns, type FakeChatRequest } from '../../fakes/ollama-server.js';
import { startFakeTelegram, type FakeTelegram, type WireMessage } from '../../fakes/telegram-bot-api.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

const alice = { id: 1001, is_bot: false, first_name: 'Alice' };
const bob = { id: 2002, is_bot: false, first_name: 'Bob' };
let fake: FakeTelegram | undefined;
let gateway: TestGateway | undefined;

afterEach(async () => {
  await gateway?.close();
  await fake?.close();
  gateway = undefined;
  fake = undefined;
});

async function start(telegram: Record<string, unknown> = {}, config: Record<string, any> = {}): Promise<{ t: TestGateway; tg: FakeTelegram }> {
  fake = await startFakeTelegram();
  gateway = await startTestGateway({
    config: {
      policy: { approvers: ['telegram:1001'], admins: ['telegram:9'] },
      ...config,
      channels: { telegram: { token: '${env:TELEGRAM_BOT_TOKEN}', api_root: fake.apiRoot, access: 'open', ...telegram } },
    },
    env: { TELEGRAM_BOT_TOKEN: fake.token },
    gatewayOptions: { outboxRetry: { baseMs: 50, maxMs: 500 } },
  });
  await expect.poll(() => gateway!.gateway.channels.health().find((c) => c.name === 'telegram')?.state).toBe('running');
  return { t: gateway, tg: fake };
}

function botTexts(tg: FakeTelegram, chatId: number): string[] {
  return tg.botMessages(chatId).map((m) => m.text ?? '');
}

function answerWithToolResult(req: FakeChatRequest) {
  const tool = [...req.messages].reverse().find((m) => m.role === 'tool');
  return turns.text(`result: ${tool?.content ?? 'none'}`);
}

function outboxRows(t: TestGateway): Array<{ state: string; attempts: number; next_attempt_at: number; text: string }> {
  return t.gateway.db.prepare("SELECT state, attempts, next_attempt_at, text FROM outbox WHERE channel = 'telegram' ORDER BY seq").all() as any;
}

describe('Telegram channel end to end', () => {
  it('a bad bot token: the channel is reported failed in /api/health (no token in it) and retried; the gateway still answers', async () => {
    fake = await startFakeTelegram();
    gateway = await startTestGateway({
      config: { channels: { telegram: { token: '${env:TELEGRAM_BOT_TOKEN}', api_root: fake.apiRoot, access: 'open' } } },
      env: { TELEGRAM_BOT_TOKEN: '42:revoked-token-value' },
      gatewayOptions: { channelStartRetry: { baseMs: 50, maxMs: 200 } },
    });
    const t = gateway;
    await expect.poll(async () => (await t.api('GET', '/api/health')).body.channels?.find((c: any) => c.name === 'telegram')?.state).toBe('failed');
    const report = (await t.api('GET', '/api/health')).body.channels.find((c: any) => c.name === 'telegram');
    expect(report.lastError).toContain('401 Unauthorized');
    expect(JSON.stringify(report)).not.toContain('revoked-token-value');
    // The token a channel's config resolved is a known secret: redacted wherever it would surface.
    expect(t.gateway.redactor.redact('token=42:revoked-token-value;')).not.toContain('revoked-token-value');
    // Retried with back-off: getMe keeps being tried.
    await expect.poll(() => fake!.unauthorizedCalls()).toBeGreaterThanOrEqual(3);
    expect(fake.calls).toHaveLength(0);
    const answer = await t.api('POST', '/api/messages', { text: 'still works' });
    expect(answer.body.reply.text).toBe('still works');
  });

  it('a private message gets the model reply once, with typing shown; /status and /new answer', async () => {
    const { t, tg } = await start();
    const chat = tg.privateChat(alice);
    tg.userSends({ chat, from: alice, text: 'hello <there> & you' });
    await expect.poll(() => botTexts(tg, chat.id)).toEqual(['hello <there> & you']);
    expect(tg.chatActions).toContainEqual({ chatId: 1001, action: 'typing' });
    expect(t.fake.chatRequests.at(-1)!.messages.at(-1)).toMatchObject({ role: 'user', content: 'hello <there> & you' });
    tg.userSends({ chat, from: alice, text: '/status' });
    await expect.poll(() => botTexts(tg, chat.id).length).toBe(2);
    expect(botTexts(tg, chat.id)[1]).toMatch(/^Conversation .*: 0 approvals waiting/);
    tg.userSends({ chat, from: alice, text: '/new' });
    await expect.poll(() => botTexts(tg, chat.id).at(-1)).toContain('Started a new conversation');
    tg.userSends({ chat, from: alice, text: 'after reset' });
    await expect.poll(() => botTexts(tg, chat.id).at(-1)).toBe('after reset');
    // The fresh conversation's history starts with the new message.
    expect(t.fake.chatRequests.at(-1)!.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['after reset']);
    expect(tg.calls.filter((c) => c.method === 'sendMessage' && c.status === 200)).toHaveLength(4);
  });

  it('approval by inline buttons in a group: a stranger is refused, the approver decides, the prompt loses its buttons, a double press is answered', async () => {
    const { t, tg } = await start();
    const group = tg.group(4242, 'Ops');
    t.fake.enqueue(turns.toolCall('calc_wipe', { target: 'tmp' }), answerWithToolResult);
    tg.userSends({ chat: group, from: alice, text: '@securesphere_test_bot please wipe tmp' });
    await expect.poll(() => tg.botMessages(group.id).find((m) => m.reply_markup)).toBeDefined();
    const prompt = tg.botMessages(group.id).find((m) => m.reply_markup) as WireMessage;
    expect(prompt.text).toContain('calc.wipe needs approval (high), requested by telegram:1001');
    expect(prompt.text).toContain('"target": "tmp"');
    const buttons = prompt.reply_markup!.inline_keyboard.flat();
    expect(buttons.map((b) => b.text)).toEqual(['Approve', 'Deny', 'Allow for this chat']);
    const approvalId = buttons[0]!.callback_data!.slice(2);
    expect(buttons.map((b) => b.callback_data)).toEqual([`a:${approvalId}`, `d:${approvalId}`, `c:${approvalId}`]);

    const stranger = tg.press(bob, prompt, `a:${approvalId}`);
    await expect.poll(() => tg.callbackAnswer(stranger)).toMatchObject({ show_alert: true });
    expect(tg.callbackAnswer(stranger)!.text).toMatch(/not|approver/i);
    expect((await t.api('GET', `/api/approvals/${approvalId}`)).body.approval.status).toBe('pending');

    const approve = tg.press(alice, prompt, `a:${approvalId}`);
    await expect.poll(() => tg.callbackAnswer(approve)).toEqual({ text: `Approved ${approvalId}.` });
    await expect.poll(() => tg.message(group.id, prompt.message_id)?.reply_markup).toBeUndefined();
    expect(tg.message(group.id, prompt.message_id)!.text).toContain('Approved by telegram:1001');
    await expect.poll(() => botTexts(tg, group.id).at(-1)).toContain('"done":"wipe"');

    const again = tg.press(alice, prompt, `d:${approvalId}`);
    await expect.poll(() => tg.callbackAnswer(again)).toMatchObject({ show_alert: true });
    expect(tg.callbackAnswer(again)!.text).toMatch(/already/i);
    expect((await t.api('GET', `/api/approvals/${approvalId}`)).body.approval).toMatchObject({ status: 'approved', decided_by: 'telegram:1001' });
  });

  it('a group message that neither mentions nor replies to the bot is ignored: nothing stored, no model call', async () => {
    const { t, tg } = await start();
    const group = tg.group(31337);
    tg.userSends({ chat: group, from: alice, text: 'talking among humans' });
    tg.userSends({ chat: group, from: bob, text: '@securesphere_test_bot ping' });
    await expect.poll(() => botTexts(tg, group.id)).toEqual(['ping']);
    expect(t.fake.chatRequests.flatMap((r) => r.messages).some((m) => m.content.includes('talking among humans'))).toBe(false);
    const stored = t.gateway.db.prepare('SELECT count(*) AS n FROM messages WHERE content LIKE ?').get('%talking among humans%') as { n: number };
    expect(stored.n).toBe(0);
  });

  it('forum topics are separate conversations, and each reply lands in its own topic', async () => {
    const { t, tg } = await start();
    const forum = tg.forum(77);
    tg.userSends({ chat: forum, from: alice, topic: 7, text: '@securesphere_test_bot in topic seven' });
    await expect.poll(() => tg.botMessages(forum.id).map((m) => [m.message_thread_id, m.text])).toEqual([[7, 'in topic seven']]);
    tg.userSends({ chat: forum, from: alice, topic: 9, text: '@securesphere_test_bot in topic nine' });
    await expect.poll(() => tg.botMessages(forum.id).length).toBe(2);
    expect(tg.botMessages(forum.id)[1]).toMatchObject({ message_thread_id: 9, text: 'in topic nine' });
    // Topic nine's history does not contain topic seven's message.
    expect(t.fake.chatRequests.at(-1)!.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['in topic nine']);
  });

  it('429 retry_after: the outbox waits at least that long, then delivers once', async () => {
    const { t, tg } = await start();
    const chat = tg.privateChat(alice);
    tg.failNext('sendMessage', { status: 429, retryAfter: 2 });
    const before = Date.now();
    tg.userSends({ chat, from: alice, text: 'rate me' });
    await expect.poll(() => tg.calls.some((c) => c.method === 'sendMessage' && c.status === 429)).toBe(true);
    const [row] = outboxRows(t);
    // The base back-off is 50 ms here: only Telegram's own retry_after explains a 2 s wait.
    expect(row).toMatchObject({ state: 'pending', attempts: 1, text: 'rate me' });
    expect(row!.next_attempt_at).toBeGreaterThanOrEqual(before + 2000);
    await expect.poll(() => botTexts(tg, chat.id), { timeout: 10_000 }).toEqual(['rate me']);
    // The Bot API records the message before its answer reaches the outbox, which then marks the row.
    await expect.poll(() => outboxRows(t)).toMatchObject([{ state: 'delivered', attempts: 2 }]);
    expect(tg.calls.filter((c) => c.method === 'sendMessage').map((c) => c.status)).toEqual([429, 200]);
  });

  it('a reply produced while Telegram is down is delivered once when it is back', async () => {
    const { t, tg } = await start();
    const chat = tg.privateChat(alice);
    t.fake.enqueue(turns.delay(300, turns.text('made while you were away')));
    tg.userSends({ chat, from: alice, text: 'slow one' });
    await expect.poll(() => t.fake.chatRequests.length).toBe(1);
    await tg.down();
    await expect.poll(() => outboxRows(t)[0]?.attempts ?? 0).toBeGreaterThanOrEqual(2);
    expect(t.gateway.channels.health().find((c) => c.name === 'telegram')).toMatchObject({ connected: false, outboxBacklog: 1 });
    await tg.up();
    await expect.poll(() => botTexts(tg, chat.id), { timeout: 15_000 }).toEqual(['made while you were away']);
    await expect.poll(() => t.gateway.channels.health().find((c) => c.name === 'telegram')).toMatchObject({ connected: true, outboxBacklog: 0 });
    // Polling resumed after the outage: the next message is answered too.
    tg.userSends({ chat, from: alice, text: 'and now?' });
    await expect.poll(() => botTexts(tg, chat.id), { timeout: 15_000 }).toEqual(['made while you were away', 'and now?']);
    // Network errors carry the request URL, which holds the bot token: it never reaches a log line.
    expect(t.logs.join('\n')).toContain('ECONNREFUSED');
    expect(t.logs.join('\n')).not.toContain(tg.token.split(':')[1]!);
  });

  it('webhook mode: Telegram posts with the secret and is answered; a wrong secret is refused and nothing is stored', async () => {
    const port = await freePort();
    const { t, tg } = await start({ mode: 'webhook', webhook: { url: `http://127.0.0.1:${port}/telegram/webhook` } }, { server: { port } });
    const hook = tg.webhook()!;
    expect(hook.url).toBe(`${t.url}/telegram/webhook`);
    const forged = { update_id: 1, message: { message_id: 1, date: 1, chat: { id: 1001, type: 'private', first_name: 'Alice' }, from: alice, text: 'forged order' } };
    for (const secret of ['wrong-secret', undefined]) {
      const res = await fetch(hook.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}) }, body: JSON.stringify(forged) });
      expect(res.status).toBe(401);
    }
    expect((t.gateway.db.prepare('SELECT count(*) AS n FROM channel_inbound').get() as { n: number }).n).toBe(0);
    expect(t.fake.chatRequests).toHaveLength(0);
    expect(t.logs.join('\n')).not.toContain(hook.secretToken!);

    const chat = tg.privateChat(alice);
    tg.userSends({ chat, from: alice, text: 'via webhook' });
    await expect.poll(() => botTexts(tg, chat.id)).toEqual(['via webhook']);
    expect(tg.webhookDeliveries.map((d) => d.status)).toEqual([200]);
    expect(t.fake.chatRequests).toHaveLength(1);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
