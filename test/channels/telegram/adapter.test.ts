// The Telegram adapter on its own, with grammy over a real socket against the Bot API
// stand-in. The host side is a small scripted ChannelContext (the gateway-wide behaviour is in
// the end-to-end and contract tests): here we check what only this adapter decides — how
// messages are read (groups, mentions, replies, commands), what is sent (escaped HTML, inline
// keyboards with opaque callback data, edits that remove buttons), how presses are answered,
// how Telegram's errors map to the outbox's typed errors, and polling/webhook start and stop.
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChannelDeliveryError, type ChannelAdapter, type ChannelContext, type DecisionInput, type DecisionOutcome, type InboundMessage } from '../../../channels/channel.js';
import { createTelegramAdapter } from '../../../channels/telegram/adapter.js';
import { telegramChannel } from '../../../channels/telegram/index.js';
import { telegramConfigSchema } from '../../../channels/telegram/config.js';
import type { ApprovalPrompt } from '../../../src/core/types.js';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/telegram-bot-api.js';

let fake: FakeTelegram;
let adapter: ChannelAdapter | undefined;
let received: InboundMessage[];
let decisions: DecisionInput[];
let dropped: string[];
let notified: Array<{ conversationId: string; threadId?: string; text: string }>;
let outcome: DecisionOutcome;
const alice = { id: 1001, is_bot: false, first_name: 'Alice' };
const logs: string[] = [];
const logger = {
  debug: (o: object, m: string) => void logs.push(`debug ${m} ${JSON.stringify(o)}`),
  info: (o: object, m: string) => void logs.push(`info ${m} ${JSON.stringify(o)}`),
  warn: (o: object, m: string) => void logs.push(`warn ${m} ${JSON.stringify(o)}`),
  error: (o: object, m: string) => void logs.push(`error ${m} ${JSON.stringify(o)}`),
};

function context(): ChannelContext {
  return {
    channel: 'telegram',
    async receive(message) {
      received.push(message);
      if (message.chatType === 'group' && !message.addressedToBot) return { status: 'refused', reason: 'not_addressed', message: 'not for me' };
      return { status: 'admitted', conversationKey: `telegram:${message.conversationId}` };
    },
    async decide(input) {
      decisions.push(input);
      return outcome;
    },
    async resetConversation() {},
    async statusText(address) {
      return `conversation ${address.conversationId}: idle <ok>`;
    },
    // What the host's outbox does with a command answer, minus the storage: hand it to deliver().
    notify(address, text) {
      notified.push({ ...address, text });
      void adapter!.deliver({ deliveryId: `notify-${notified.length}`, address, text });
    },
    identity: (id) => `telegram:${id}`,
    dropMalformed: (reason) => void dropped.push(reason),
    logger,
  };
}

function build(extra: Record<string, unknown> = {}): ChannelAdapter {
  const config = telegramConfigSchema.parse({ token: '${env:TELEGRAM_BOT_TOKEN}', api_root: fake.apiRoot, access: 'open', polling: { timeout_seconds: 30 }, ...extra });
  adapter = createTelegramAdapter({ config, token: fake.token, logger });
  return adapter;
}

function prompt(over: Partial<ApprovalPrompt> = {}): ApprovalPrompt {
  return {
    approvalId: 'apr_mf3k2x1a9b8c7d6e5f4a3b2c',
    summary: 'calc.wipe needs approval (high), requested by telegram:1001',
    detail: 'calc.wipe with arguments:\n{ "target": "<tmp> & co" }',
    securityLevel: 'high',
    approvers: ['telegram:1001'],
    expiresAt: new Date('2030-01-01T00:10:00Z'),
    options: ['approve', 'deny', 'allow_conversation'],
    ...over,
  };
}

beforeEach(async () => {
  fake = await startFakeTelegram();
  notified = [];
  received = [];
  decisions = [];
  dropped = [];
  logs.length = 0;
  outcome = { status: 'approved', approvalId: 'x', scope: 'once', message: 'Approved.' };
});
afterEach(async () => {
  await adapter?.stop();
  adapter = undefined;
  await fake.close();
});

describe('Telegram adapter', () => {
  it('polls, registers its commands, reads private messages and shows typing once admitted', async () => {
    const a = build();
    await a.start(context());
    expect(fake.commands().map((c: any) => c.command)).toEqual(['start', 'help', 'new', 'status']);
    const sent = fake.userSends({ chat: fake.privateChat(alice), from: alice, text: 'hello <b>' });
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]).toMatchObject({ conversationId: '1001', chatType: 'direct', senderId: '1001', senderName: 'Alice', text: 'hello <b>', platformMessageId: String(sent.message_id) });
    expect(received[0]!.addressedToBot).toBeUndefined();
    await expect.poll(() => fake.chatActions).toEqual([{ chatId: 1001, action: 'typing' }]);
    expect(a.health()).toMatchObject({ connected: true, details: { mode: 'polling', bot: 'securesphere_test_bot' } });
  });

  it('shows no typing when the reply reached the chat before the message was admitted (an instant model)', async () => {
    const a = build();
    const c = context();
    const receive = c.receive;
    c.receive = async (message) => {
      if (message.text === 'fast') await a.deliver({ deliveryId: 'r1', address: { conversationId: message.conversationId }, text: 'instant answer' });
      return receive(message);
    };
    await a.start(c);
    const chat = fake.privateChat(alice);
    const bob = fake.user(2002, 'Bob');
    fake.userSends({ chat, from: alice, text: 'fast' });
    // Confirmed by offset = its handler finished (and would have started typing) before bob writes.
    const fast = fake.lastUpdateId();
    await expect.poll(() => fake.isPending(fast)).toBe(false);
    fake.userSends({ chat: fake.privateChat(bob), from: bob, text: 'slow' });
    await expect.poll(() => received.map((m) => m.text)).toEqual(['fast', 'slow']);
    await expect.poll(() => fake.chatActions.length).toBeGreaterThanOrEqual(1);
    expect(fake.chatActions).toEqual([{ chatId: 2002, action: 'typing' }]);
    expect(fake.botMessages(chat.id).map((m) => m.text)).toEqual(['instant answer']);
  });

  it('polling: when the gateway fails to admit a message, it is retried instead of confirmed and lost', async () => {
    const a = build();
    const c = context();
    const receive = c.receive;
    let failures = 2;
    c.receive = async (message) => {
      if (failures-- > 0) throw new Error('database is locked');
      return receive(message);
    };
    await a.start(c);
    fake.userSends({ chat: fake.privateChat(alice), from: alice, text: 'keep me' });
    await expect.poll(() => received.map((m) => m.text), { timeout: 10_000 }).toEqual(['keep me']);
    expect(logs.filter((l) => l.includes('could not admit a message'))).toHaveLength(2);
  });

  it('polling handles the chats of one batch in parallel, each chat in order, and confirms the batch after all', async () => {
    const a = build();
    const c = context();
    const receive = c.receive;
    let bobSeen!: () => void;
    const bobArrived = new Promise<void>((resolve) => (bobSeen = resolve));
    c.receive = async (message) => {
      // alice's first message is admitted only once bob's was seen: sequential handling would hang.
      if (message.text === 'a1') await bobArrived;
      if (message.text === 'b1') bobSeen();
      return receive(message);
    };
    const bob = fake.user(2002, 'Bob');
    fake.userSends({ chat: fake.privateChat(alice), from: alice, text: 'a1' });
    fake.userSends({ chat: fake.privateChat(alice), from: alice, text: 'a2' });
    fake.userSends({ chat: fake.privateChat(bob), from: bob, text: 'b1' });
    const last = fake.lastUpdateId();
    await a.start(c);
    await expect.poll(() => received.map((m) => m.text)).toEqual(['b1', 'a1', 'a2']);
    await expect.poll(() => fake.isPending(last)).toBe(false);
  });

  it('in groups: addressed only by a mention, a reply to the bot or a /command@bot; the mention is taken out', async () => {
    const a = build();
    await a.start(context());
    const group = fake.group(777);
    fake.userSends({ chat: group, from: alice, text: 'just chatting' });
    fake.userSends({ chat: group, from: alice, text: '@securesphere_test_bot what time is it' });
    fake.userSends({ chat: group, from: alice, text: '@someone_else hi' });
    await expect.poll(() => received.length).toBe(3);
    expect(received.map((m) => [m.chatType, m.addressedToBot, m.text])).toEqual([
      ['group', false, 'just chatting'],
      ['group', true, 'what time is it'],
      ['group', false, '@someone_else hi'],
    ]);
    const { platformMessageId } = await a.deliver({ deliveryId: 'd1', address: { conversationId: '-777' }, text: 'it is noon' });
    fake.userSends({ chat: group, from: alice, text: 'thanks', replyTo: Number(platformMessageId) });
    await expect.poll(() => received.length).toBe(4);
    expect(received[3]).toMatchObject({ addressedToBot: true, text: 'thanks' });
    // The not-addressed messages were refused by the host: no typing for them.
    expect(fake.chatActions.filter((c) => c.chatId === -777)).toHaveLength(2);
  });

  it('answers /help and /status itself, ignores commands for other bots, escapes their text', async () => {
    const a = build();
    await a.start(context());
    const chat = fake.privateChat(alice);
    fake.userSends({ chat, from: alice, text: '/status' });
    fake.userSends({ chat, from: alice, text: '/status@other_bot' });
    fake.userSends({ chat, from: alice, text: '/help' });
    await expect.poll(() => fake.botMessages(chat.id).length).toBe(2);
    // Answered through the host's outbox (notify), never sent past it.
    expect(notified.map((n) => n.conversationId)).toEqual(['1001', '1001']);
    expect(fake.botMessages(chat.id)[0]!.text).toBe('conversation 1001: idle <ok>');
    expect(fake.botMessages(chat.id)[1]!.text).toContain('/new - Start a new conversation');
    await expect.poll(() => received.map((m) => m.text)).toEqual(['/status@other_bot']);
  });

  it('delivers escaped text; a prompt gets an inline keyboard with only a decision and the opaque id', async () => {
    const a = build();
    await a.start(context());
    const chat = fake.privateChat(alice);
    fake.userSends({ chat, from: alice, text: 'hi' });
    await expect.poll(() => received.length).toBe(1);
    const plain = await a.deliver({ deliveryId: 'd1', address: { conversationId: '1001' }, text: 'x < y && <script>alert(1)</script>' });
    expect(fake.message(1001, Number(plain.platformMessageId))?.text).toBe('x < y && <script>alert(1)</script>');
    const p = prompt();
    const shown = await a.deliver({ deliveryId: 'd2', address: { conversationId: '1001' }, text: 'fallback', approval: p });
    const message = fake.message(1001, Number(shown.platformMessageId))!;
    expect(message.text).toContain('{ "target": "<tmp> & co" }');
    expect(message.text).toContain('calc.wipe needs approval (high)');
    expect(message.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: 'Approve', callback_data: `a:${p.approvalId}` },
          { text: 'Deny', callback_data: `d:${p.approvalId}` },
        ],
        [{ text: 'Allow for this chat', callback_data: `c:${p.approvalId}` }],
      ],
    });
    // A press is decided by the presser's Telegram id and answered with the outcome.
    outcome = { status: 'refused', approvalId: p.approvalId, reason: 'not_an_approver', message: 'You are not an approver for this step.' };
    const bob = fake.user(2002, 'Bob');
    const q1 = fake.press(bob, message, `a:${p.approvalId}`);
    await expect.poll(() => fake.callbackAnswer(q1)).toEqual({ text: 'You are not an approver for this step.', show_alert: true });
    expect(decisions[0]).toEqual({ conversationId: '1001', approvalId: p.approvalId, decision: 'approve', userId: '2002' });
    outcome = { status: 'approved', approvalId: p.approvalId, scope: 'conversation', message: 'Approved for this chat.' };
    const q2 = fake.press(alice, message, `c:${p.approvalId}`);
    await expect.poll(() => fake.callbackAnswer(q2)).toEqual({ text: 'Approved for this chat.' });
    expect(decisions[1]).toMatchObject({ decision: 'allow_conversation', userId: '1001' });
    // Forged data never reaches decide().
    const q3 = fake.press(alice, message, 'a:../../etc');
    await expect.poll(() => fake.callbackAnswer(q3)).toEqual({ text: 'This button is not valid.', show_alert: true });
    expect(decisions).toHaveLength(2);
    // After the decision the host edits the prompt: who decided, no buttons.
    await a.edit(shown.platformMessageId, { deliveryId: 'd3', address: { conversationId: '1001' }, text: 'x', approval: prompt({ outcome: { status: 'approved', by: 'telegram:1001', at: new Date('2030-01-01T00:01:00Z') } }) });
    const edited = fake.message(1001, Number(shown.platformMessageId))!;
    expect(edited.text).toContain('Approved by telegram:1001 at 2030-01-01 00:01 UTC');
    expect(edited.reply_markup).toBeUndefined();
    // The same edit again (an outbox retry) is not an error.
    await a.edit(shown.platformMessageId, { deliveryId: 'd3', address: { conversationId: '1001' }, text: 'x', approval: prompt({ outcome: { status: 'approved', by: 'telegram:1001', at: new Date('2030-01-01T00:01:00Z') } }) });
  });

  it('maps 429 to rate_limited with retryAfterMs, 5xx and connection refused to transient, a gone chat to permanent', async () => {
    const a = build();
    await a.start(context());
    fake.userSends({ chat: fake.privateChat(alice), from: alice, text: 'hi' });
    await expect.poll(() => received.length).toBe(1);
    const to = { deliveryId: 'd', address: { conversationId: '1001' }, text: 'reply' };
    fake.failNext('sendMessage', { status: 429, retryAfter: 3 });
    const limited = await a.deliver(to).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(ChannelDeliveryError);
    expect(limited).toMatchObject({ failure: 'rate_limited', retryAfterMs: 3000 });
    fake.failNext('sendMessage', { status: 502 });
    await expect(a.deliver(to)).rejects.toMatchObject({ failure: 'transient' });
    expect(a.health()).toMatchObject({ connected: false, lastError: 'sendMessage: 502 Internal Server Error' });
    await expect(a.deliver({ ...to, address: { conversationId: '999' } })).rejects.toMatchObject({ failure: 'permanent' });
    expect(a.health().connected).toBe(true);
    await fake.down();
    const down = await a.deliver(to).catch((e: unknown) => e as ChannelDeliveryError);
    expect(down).toMatchObject({ failure: 'transient' });
    expect((down as Error).message).not.toContain(fake.token);
    expect(a.health().connected).toBe(false);
    await fake.up();
    await expect(a.deliver(to)).resolves.toHaveProperty('platformMessageId');
  });

  it('drops malformed updates with a log line and keeps polling', async () => {
    const a = build();
    await a.start(context());
    fake.injectUpdate('message', { message_id: 5, text: 'no chat' });
    fake.injectUpdate('callback_query', { id: 'q1' });
    fake.userSends({ chat: fake.privateChat(alice), from: alice, text: 'still here' });
    await expect.poll(() => received.map((m) => m.text)).toEqual(['still here']);
    expect(dropped).toEqual(['telegram message without a chat id', 'telegram callback query without id, sender or data']);
  });

  it('a bad token fails start with a clear error that does not contain the token', async () => {
    const config = telegramConfigSchema.parse({ token: '${env:X}', api_root: fake.apiRoot });
    adapter = createTelegramAdapter({ config, token: '999:not-the-token', logger });
    const err = (await adapter.start(context()).then(() => undefined, (e: unknown) => e)) as Error;
    expect(err).toMatchObject({ code: 'SS_ERR_CHANNEL_START_FAILED' });
    expect(err.message).toContain('401 Unauthorized');
    expect(err.message).not.toContain('not-the-token');
  });

  it('webhook mode: setWebhook with a secret; the route refuses a wrong secret and hands a right one to the host', async () => {
    const app = Fastify();
    const a = build({ mode: 'webhook', webhook: { url: 'http://127.0.0.1:1/telegram/webhook' } });
    a.registerRoutes!(app);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const before = await fetch(`${base}/telegram/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(before.status).toBe(503);
      await a.start(context());
      const hook = fake.webhook()!;
      expect(hook.secretToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      const update = { update_id: 1, message: { message_id: 1, date: 1, chat: { id: 1001, type: 'private' }, from: alice, text: 'forged' } };
      const post = (secret?: string) =>
        fetch(`${base}/telegram/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}) }, body: JSON.stringify(update) });
      expect((await post('wrong')).status).toBe(401);
      expect((await post()).status).toBe(401);
      expect(received).toHaveLength(0);
      expect(logs.some((l) => l.includes(hook.secretToken!))).toBe(false);
      expect((await post(hook.secretToken)).status).toBe(200);
      expect(received.map((m) => m.text)).toEqual(['forged']);
    } finally {
      await a.stop();
      await app.close();
    }
  });

  it('built from its definition: secrets resolved from references, the webhook route answers 503 until grammy is loaded and started', async () => {
    const app = Fastify();
    const section = telegramConfigSchema.parse({ token: '${env:TG_TOKEN}', api_root: fake.apiRoot, mode: 'webhook', webhook: { url: 'http://127.0.0.1:1/hook', path: '/hook', secret: '${env:TG_HOOK}' } });
    const env: Record<string, string> = { TG_TOKEN: fake.token, TG_HOOK: 'configured-hook-secret' };
    const resolved: string[] = [];
    adapter = telegramChannel.create(section, {
      resolveSecret: (reference, keyPath) => {
        resolved.push(keyPath);
        return env[/^\$\{env:(\w+)\}$/.exec(reference)![1]!]!;
      },
      logger,
      dataDir: '/nonexistent',
    });
    expect(resolved).toEqual(['channels.telegram.token', 'channels.telegram.webhook.secret']);
    adapter.registerRoutes!(app);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const post = () => fetch(`${base}/hook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'configured-hook-secret' }, body: JSON.stringify({ update_id: 9, message: { message_id: 3, date: 1, chat: { id: 1001, type: 'private' }, from: alice, text: 'hi' } }) });
      expect((await post()).status).toBe(503);
      expect(adapter.health()).toEqual({ connected: false, details: { mode: 'webhook' } });
      await adapter.start(context());
      expect(fake.webhook()).toEqual({ url: 'http://127.0.0.1:1/hook', secretToken: 'configured-hook-secret', allowedUpdates: ['message', 'callback_query'] });
      expect((await post()).status).toBe(200);
      expect(received.map((m) => m.text)).toEqual(['hi']);
    } finally {
      await adapter.stop();
      await app.close();
    }
  });
});
