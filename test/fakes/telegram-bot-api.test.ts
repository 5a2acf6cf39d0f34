// The Telegram stand-in checked with the real client, grammy, over its real socket: long
// polling that holds and confirms by offset, limits and update filters, a second poller
// refused, edits and callback answers, HTML parse errors, injected 429/5xx, the server down
// and back, webhooks with the secret header, documents and commands. If the stand-in lies,
// the adapter tests built on it prove nothing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Bot, GrammyError, HttpError, InputFile } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from './telegram-bot-api.js';

let fake: FakeTelegram;
let bot: Bot;
const alice = { id: 1001, is_bot: false, first_name: 'Alice' };

beforeEach(async () => {
  fake = await startFakeTelegram();
  bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
});
afterEach(async () => {
  if (bot.isRunning()) await bot.stop();
  await fake.close();
});

async function raw(method: string, params: Record<string, unknown>, token = fake.token): Promise<{ status: number; body: any }> {
  const res = await fetch(`${fake.apiRoot}/bot${token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
  return { status: res.status, body: await res.json() };
}

describe('fake Telegram Bot API with grammy', () => {
  it('answers getMe for its token and 401 Unauthorized for any other', async () => {
    const me = await bot.api.getMe();
    expect(me).toMatchObject({ id: 123456789, is_bot: true, username: 'securesphere_test_bot' });
    const stranger = new Bot('42:wrong', { client: { apiRoot: fake.apiRoot } });
    const err = await stranger.api.getMe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GrammyError);
    expect((err as GrammyError).error_code).toBe(401);
    expect((err as GrammyError).description).toBe('Unauthorized');
  });

  it('long polling: grammy receives updates in order, confirms them by offset, and stops cleanly', async () => {
    const seen: string[] = [];
    bot.on('message:text', (ctx) => {
      seen.push(ctx.message.text);
    });
    const running = bot.start({ timeout: 30 });
    const chat = fake.privateChat(alice);
    fake.userSends({ chat, from: alice, text: 'one' });
    fake.userSends({ chat, from: alice, text: 'two' });
    await expect.poll(() => seen).toEqual(['one', 'two']);
    await bot.stop();
    await running;
    // stop() confirmed the last batch with its offset: nothing is redelivered.
    expect(fake.pendingUpdates()).toBe(0);
    const offsets = fake.calls.filter((c) => c.method === 'getUpdates').map((c) => c.params.offset);
    expect(offsets.at(-1)).toBeGreaterThan(offsets[0] as number);
  });

  it('getUpdates holds the request until an update arrives, and returns [] at once with timeout 0', async () => {
    expect((await raw('getUpdates', { timeout: 0 })).body).toEqual({ ok: true, result: [] });
    const held = raw('getUpdates', { timeout: 50 });
    await expect.poll(() => fake.calls.filter((c) => c.method === 'getUpdates' && c.status === 0).length).toBe(1);
    const sent = fake.userSends({ chat: fake.privateChat(alice), from: alice, text: 'wake up' });
    const answer = await held;
    expect(answer.body.result).toHaveLength(1);
    expect(answer.body.result[0].message).toMatchObject({ message_id: sent.message_id, text: 'wake up' });
  });

  it('honours limit, offset and allowed_updates', async () => {
    const chat = fake.privateChat(alice);
    for (const text of ['a', 'b', 'c']) fake.userSends({ chat, from: alice, text });
    const first = (await raw('getUpdates', { limit: 2 })).body.result;
    expect(first.map((u: any) => u.message.text)).toEqual(['a', 'b']);
    // An offset confirms everything below it: 'a' and 'b' are gone for good.
    const next = (await raw('getUpdates', { offset: first[1].update_id + 1 })).body.result;
    expect(next.map((u: any) => u.message.text)).toEqual(['c']);
    expect((await raw('getUpdates', { offset: first[0].update_id })).body.result.map((u: any) => u.message.text)).toEqual(['c']);
    await raw('getUpdates', { offset: next[0].update_id + 1, allowed_updates: ['callback_query'] });
    fake.userSends({ chat, from: alice, text: 'filtered out' });
    const own = fake.userSends({ chat, from: alice, text: 'button host' });
    fake.press(alice, own, 'x1');
    const filtered = (await raw('getUpdates', {})).body.result;
    expect(filtered.map((u: any) => Object.keys(u).find((k) => k !== 'update_id'))).toEqual(['callback_query']);
  });

  it('a second poller ends the first with 409 Conflict, like the real server', async () => {
    const first = raw('getUpdates', { timeout: 50 });
    await expect.poll(() => fake.calls.filter((c) => c.status === 0).length).toBe(1);
    const second = raw('getUpdates', { timeout: 0 });
    expect((await first).body).toMatchObject({ ok: false, error_code: 409, description: expect.stringContaining('terminated by other getUpdates') });
    expect((await second).status).toBe(200);
  });

  it('sends, edits, answers callback queries, and refuses what the real server refuses', async () => {
    const chat = fake.privateChat(alice);
    fake.userSends({ chat, from: alice, text: 'hi' });
    await expect(bot.api.sendMessage(999, 'nobody')).rejects.toThrow('chat not found');
    const prompt = await bot.api.sendMessage(chat.id, '<b>Approve?</b> 1 &lt; 2', {
      parse_mode: 'HTML',
      reply_markup: { inline_keyboard: [[{ text: 'Approve', callback_data: 'a:1' }]] },
    });
    expect(fake.message(chat.id, prompt.message_id)).toMatchObject({ text: 'Approve? 1 < 2', entities: [{ type: 'bold', offset: 0, length: 8 }] });
    await expect(bot.api.sendMessage(chat.id, 'a <script> b', { parse_mode: 'HTML' })).rejects.toThrow(/can't parse entities: Unsupported start tag "script"/);
    await expect(bot.api.sendMessage(chat.id, 'x'.repeat(4097))).rejects.toThrow('message is too long');
    await expect(bot.api.sendMessage(chat.id, 'x', { reply_markup: { inline_keyboard: [[{ text: 'b', callback_data: 'd'.repeat(65) }]] } })).rejects.toThrow('BUTTON_DATA_INVALID');

    const answered: string[] = [];
    bot.on('callback_query:data', async (ctx) => {
      answered.push(ctx.callbackQuery.data);
      await ctx.answerCallbackQuery({ text: 'Approved' });
      await ctx.editMessageText('Approved by Alice');
    });
    const running = bot.start();
    const queryId = fake.press(alice, prompt, 'a:1');
    await expect.poll(() => fake.message(chat.id, prompt.message_id)?.text).toBe('Approved by Alice');
    expect(fake.message(chat.id, prompt.message_id)?.reply_markup).toBeUndefined();
    expect(fake.callbackAnswer(queryId)).toEqual({ text: 'Approved' });
    await expect(bot.api.answerCallbackQuery(queryId)).rejects.toThrow('query is too old');
    await expect(bot.api.editMessageText(chat.id, prompt.message_id, 'Approved by Alice')).rejects.toThrow('message is not modified');
    await bot.stop();
    await running;
  });

  it('injects 429 with retry_after and 5xx errors, once each', async () => {
    fake.failNext('sendMessage', { status: 429, retryAfter: 7 });
    fake.failNext('sendMessage', { status: 502, description: 'Bad Gateway' });
    fake.userSends({ chat: fake.privateChat(alice), from: alice, text: 'hi' });
    const limited = await bot.api.sendMessage(alice.id, 'x').catch((e: unknown) => e as GrammyError);
    expect(limited).toBeInstanceOf(GrammyError);
    expect((limited as GrammyError).error_code).toBe(429);
    expect((limited as GrammyError).parameters.retry_after).toBe(7);
    await expect(bot.api.sendMessage(alice.id, 'x')).rejects.toMatchObject({ error_code: 502 });
    await expect(bot.api.sendMessage(alice.id, 'x')).resolves.toMatchObject({ text: 'x' });
  });

  it('goes down (connection refused) and comes back on the same port', async () => {
    await fake.down();
    const err = await bot.api.getMe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(String((err as HttpError).error)).toMatch(/ECONNREFUSED/);
    await fake.up();
    await expect(bot.api.getMe()).resolves.toMatchObject({ is_bot: true });
  });

  it('webhook: POSTs updates with the secret header, retries until acknowledged, refuses getUpdates meanwhile', async () => {
    const received: Array<{ secret: string | undefined; body: any }> = [];
    let refuseFirst = true;
    const hook: Server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        received.push({ secret: req.headers['x-telegram-bot-api-secret-token'] as string | undefined, body: JSON.parse(data) });
        res.statusCode = refuseFirst ? 500 : 200;
        refuseFirst = false;
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      await bot.api.setWebhook(`http://127.0.0.1:${(hook.address() as AddressInfo).port}/tg`, { secret_token: 'hook-secret_1' });
      await expect(bot.api.getUpdates()).rejects.toMatchObject({ error_code: 409 });
      const sent = fake.userSends({ chat: fake.privateChat(alice), from: alice, text: 'via hook' });
      await expect.poll(() => fake.pendingUpdates()).toBe(0);
      expect(received).toHaveLength(2);
      expect(received.every((r) => r.secret === 'hook-secret_1' && r.body.message.message_id === sent.message_id)).toBe(true);
      expect(fake.webhookDeliveries.map((d) => d.status)).toEqual([500, 200]);
      await bot.api.deleteWebhook();
      await expect(bot.api.getUpdates()).resolves.toEqual([]);
    } finally {
      await new Promise<void>((r) => hook.close(() => r()));
    }
  });

  it('commands, chat actions, documents, group mentions and replies', async () => {
    await bot.api.setMyCommands([{ command: 'start', description: 'Start' }, { command: 'new', description: 'New conversation' }]);
    expect(await bot.api.getMyCommands()).toEqual([{ command: 'start', description: 'Start' }, { command: 'new', description: 'New conversation' }]);
    await expect(bot.api.setMyCommands([{ command: 'Bad-Name', description: 'x' }])).rejects.toThrow('BOT_COMMAND_INVALID');
    const group = fake.group(555, 'Team');
    const asked = fake.userSends({ chat: group, from: alice, text: 'hey @securesphere_test_bot /status@securesphere_test_bot' });
    expect(asked.entities).toEqual([
      { type: 'mention', offset: 4, length: 22 },
      { type: 'bot_command', offset: 27, length: 29 },
    ]);
    await bot.api.sendChatAction(group.id, 'typing');
    expect(fake.chatActions).toEqual([{ chatId: -555, action: 'typing' }]);
    const reply = await bot.api.sendMessage(group.id, 'answer', { reply_parameters: { message_id: asked.message_id } });
    const followUp = fake.userSends({ chat: group, from: alice, text: 'thanks', replyTo: reply.message_id });
    expect(followUp.reply_to_message?.from?.id).toBe(fake.bot.id);
    const doc = await bot.api.sendDocument(group.id, new InputFile(Buffer.from('full details'), 'details.txt'), { caption: 'details' });
    expect(doc.document?.file_name).toBe('details.txt');
    expect(fake.documents).toEqual([{ chatId: -555, messageId: doc.message_id, fileName: 'details.txt', content: 'full details', caption: 'details' }]);
  });
});
