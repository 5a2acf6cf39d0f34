// Streamed replies on Telegram, end to end: the whole gateway with the fake model streaming
// over a real socket and grammy talking to the Bot API stand-in. The channel host posts one
// draft and edits it at most once per interval (its clock is driven by the test, so the bound
// is exact, not timed), and the final reply replaces the draft: the chat ends with exactly the
// messages a non-streamed reply gives. Also: `stream_replies: final`, failed edits, a reply
// longer than one message, leaked markup, tool-call and approval turns, and config errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TELEGRAM_TEXT_LIMIT } from '../../../channels/telegram/render.js';
import { splitText } from '../../../src/channel-host/split-text.js';
import { loadConfig } from '../../../src/config/load.js';
import { cleanLeakedMarkup } from '../../../src/providers/leaked-markup.js';
import { turns } from '../../fakes/ollama-server.js';
import { startFakeTelegram, type FakeTelegram, type WireMessage } from '../../fakes/telegram-bot-api.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { createManualClock, type ManualClock } from '../../helpers/manual-clock.js';
import { gate, heldReply, poll, streamedWords } from '../stream-script.js';

const alice = { id: 1001, is_bot: false, first_name: 'Alice' };
let fake: FakeTelegram | undefined;
let gateway: TestGateway | undefined;

afterEach(async () => {
  await gateway?.close();
  await fake?.close();
  gateway = undefined;
  fake = undefined;
});

async function start(telegram: Record<string, unknown> = {}, config: Record<string, any> = {}): Promise<{ t: TestGateway; tg: FakeTelegram; clock: ManualClock }> {
  fake = await startFakeTelegram();
  const clock = createManualClock();
  gateway = await startTestGateway({
    config: {
      policy: { approvers: ['telegram:1001'] },
      ...config,
      channels: { telegram: { token: '${env:TELEGRAM_BOT_TOKEN}', api_root: fake.apiRoot, access: 'open', ...telegram } },
    },
    env: { TELEGRAM_BOT_TOKEN: fake.token },
    gatewayOptions: { outboxRetry: { baseMs: 50, maxMs: 500 }, replyDraftClock: clock },
  });
  await poll(() => gateway!.gateway.channels.health().find((c) => c.name === 'telegram')?.state).toBe('running');
  return { t: gateway, tg: fake, clock };
}

const sends = (tg: FakeTelegram) => tg.calls.filter((c) => c.method === 'sendMessage' && c.status === 200);
const editsOf = (tg: FakeTelegram, message: WireMessage) => tg.edits.filter((e) => e.chatId === message.chat.id && e.messageId === message.message_id).map((e) => e.text ?? '');
const texts = (tg: FakeTelegram, chatId: number) => tg.botMessages(chatId).map((m) => m.text ?? '');

/** Waits for the one draft of the chat and returns it. */
async function draftIn(tg: FakeTelegram, chatId: number): Promise<WireMessage> {
  await poll(() => tg.botMessages(chatId).length).toBe(1);
  const draft = tg.botMessages(chatId)[0]!;
  expect(draft.text).toMatch(/ …$/);
  return draft;
}

describe('streamed replies on Telegram', () => {
  it('one draft, edits bounded by the interval (only the newest text), then the final text in the same message', async () => {
    const { t, tg, clock } = await start();
    // What the host is told as the model writes (the same events, in the same order).
    const progress: string[] = [];
    t.gateway.replyStreams.subscribe((event) => {
      if (!event.done) progress.push(event.text);
    });
    const words = streamedWords(50);
    const reply = words.join('');
    const [first, second, third, rest] = [gate(), gate(), gate(), gate()];
    t.fake.enqueue({
      type: 'text',
      text: reply,
      chunks: words,
      hold: [
        { afterChunks: 10, until: first },
        { afterChunks: 20, until: second },
        { afterChunks: 30, until: third },
        { afterChunks: 40, until: rest },
      ],
    });
    const chat = tg.privateChat(alice);
    tg.userSends({ chat, from: alice, text: 'tell me a long story' });

    const draft = await draftIn(tg, chat.id);
    expect(reply.startsWith(draft.text!.replace(/ …$/, '').trimEnd())).toBe(true);
    /** Lets the model write up to the next gate and waits until the host has heard of it. */
    const writeUntil = async (open: ReturnType<typeof gate>, next: ReturnType<typeof gate>) => {
      const before = progress.length;
      open.release();
      await next.reached;
      await poll(() => progress.length).toBeGreaterThan(before);
    };
    // Two rounds of new text inside one interval of the host's clock: one edit, the newest text.
    await writeUntil(first, second);
    await writeUntil(second, third);
    const newest = progress.at(-1);
    clock.advance(1000);
    await poll(() => editsOf(tg, draft).length).toBe(1);
    expect(editsOf(tg, draft)[0]).toBe(`${newest} …`);
    // One more round, one more interval: one more edit.
    await writeUntil(third, rest);
    clock.advance(1000);
    await poll(() => editsOf(tg, draft).length).toBe(2);
    rest.release();
    await poll(() => tg.message(chat.id, draft.message_id)?.text).toBe(reply);
    await t.gateway.channels.settled();

    // One message; one paced edit per interval the clock moved, and the final one.
    expect(sends(tg)).toHaveLength(1);
    expect(texts(tg, chat.id)).toEqual([reply]);
    const edits = editsOf(tg, draft);
    expect(edits).toHaveLength(3);
    for (const partial of edits.slice(0, 2)) {
      expect(partial).toMatch(/ …$/);
      expect(reply.startsWith(partial.replace(/ …$/, '').trimEnd())).toBe(true);
    }
    expect(edits[1]!.length).toBeGreaterThan(edits[0]!.length);
    expect(edits[2]).toBe(reply);
    // The model really streamed; the draft row is closed (nothing left to mark interrupted).
    expect(t.fake.chatRequests.at(-1)!.stream).toBe(true);
    expect(t.gateway.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE draft IN ('posting','open')").get()).toEqual({ n: 0 });
  });

  it('stream_replies: final gives exactly one message and no edits', async () => {
    const { t, tg } = await start({ stream_replies: 'final' });
    const words = streamedWords(30);
    t.fake.enqueue({ type: 'text', text: words.join(''), chunks: words });
    const chat = tg.privateChat(alice);
    tg.userSends({ chat, from: alice, text: 'no streaming here' });
    await poll(() => texts(tg, chat.id)).toEqual([words.join('')]);
    await t.gateway.channels.settled();
    expect(sends(tg)).toHaveLength(1);
    expect(tg.calls.filter((c) => c.method === 'editMessageText')).toHaveLength(0);
    expect(t.fake.chatRequests.at(-1)!.stream).toBe(false);
  });

  it('a failed draft edit is skipped and the final reply still replaces the draft', async () => {
    const { t, tg, clock } = await start();
    const { reply, gates: [first, rest], turn } = heldReply(30, 10, 20);
    t.fake.enqueue(turn);
    const chat = tg.privateChat(alice);
    tg.userSends({ chat, from: alice, text: 'go' });
    const draft = await draftIn(tg, chat.id);
    tg.failNext('editMessageText', { status: 502, description: 'Bad Gateway' });
    first.release();
    await rest.reached;
    clock.advance(1000);
    await poll(() => tg.calls.filter((c) => c.method === 'editMessageText').length).toBe(1);
    expect(editsOf(tg, draft)).toEqual([]);
    rest.release();
    await poll(() => texts(tg, chat.id)).toEqual([reply]);
    expect(sends(tg)).toHaveLength(1);
  });

  it('a draft Telegram refuses to post: no retry before the next interval, and the reply arrives once', async () => {
    const { t, tg } = await start();
    const { reply, gates: [rest], turn } = heldReply(30, 20);
    t.fake.enqueue(turn);
    tg.failNext('sendMessage', { status: 502, description: 'Bad Gateway' });
    const chat = tg.privateChat(alice);
    tg.userSends({ chat, from: alice, text: 'go' });
    await poll(() => tg.calls.filter((c) => c.method === 'sendMessage').length).toBe(1);
    await rest.reached;
    rest.release();
    await poll(() => texts(tg, chat.id)).toEqual([reply]);
    await t.gateway.channels.settled();
    // The failed draft is recorded as such; the reply was sent once, through the outbox.
    expect(tg.calls.filter((c) => c.method === 'sendMessage').map((c) => c.status)).toEqual([502, 200]);
    expect(tg.calls.filter((c) => c.method === 'editMessageText')).toHaveLength(0);
    expect(t.gateway.db.prepare('SELECT state, draft FROM outbox ORDER BY seq').all()).toEqual([
      { state: 'failed', draft: 'closed' },
      { state: 'delivered', draft: null },
    ]);
  });

  it('an edit the platform refuses for good: the final reply arrives as a new message', async () => {
    const { t, tg } = await start();
    const { reply, gates: [rest], turn } = heldReply(30, 15);
    t.fake.enqueue(turn);
    const chat = tg.privateChat(alice);
    tg.userSends({ chat, from: alice, text: 'go' });
    const draft = await draftIn(tg, chat.id);
    // The user deleted the draft: Telegram refuses the edit that would have become the reply.
    tg.failNext('editMessageText', { status: 400, description: 'Bad Request: message to edit not found' });
    rest.release();
    await poll(() => texts(tg, chat.id).at(-1)).toBe(reply);
    expect(texts(tg, chat.id)).toEqual([draft.text, reply]);
    await t.gateway.channels.settled();
    expect(t.gateway.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE state = 'failed'").get()).toEqual({ n: 0 });
  });

  it('a reply longer than one message: the draft shows the first part, the final reply is split exactly as without streaming', async () => {
    const { t, tg, clock } = await start();
    const words = streamedWords(900);
    const reply = words.join('');
    expect(reply.length).toBeGreaterThan(TELEGRAM_TEXT_LIMIT * 2);
    const [first, rest] = [gate(), gate()];
    t.fake.enqueue({ type: 'text', text: reply, chunks: words, hold: [{ afterChunks: 50, until: first }, { afterChunks: 600, until: rest }] });
    const chat = tg.privateChat(alice);
    tg.userSends({ chat, from: alice, text: 'a very long one' });
    const draft = await draftIn(tg, chat.id);
    first.release();
    await rest.reached;
    clock.advance(1000);
    await poll(() => editsOf(tg, draft).length).toBe(1);
    // Past the limit, the draft holds the first part only (and fits in one message).
    const partial = editsOf(tg, draft)[0]!;
    expect(partial.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
    expect(partial).toMatch(/ …$/);
    rest.release();
    const expected = splitText(reply, TELEGRAM_TEXT_LIMIT);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    await poll(() => texts(tg, chat.id)).toEqual(expected);
    expect(tg.botMessages(chat.id)[0]!.message_id).toBe(draft.message_id);
    expect(sends(tg)).toHaveLength(expected.length);
  });

  it('leaked template and tool-call markup never reaches Telegram, streamed or final', async () => {
    const { t, tg, clock } = await start();
    const before = streamedWords(20);
    const after = streamedWords(40, 'after');
    const chunks = [...before, '<tool_call>{"name": "calc_add", ', '"arguments": {"a": 1}}</tool_call> ', '<|im_start|>assistant ', ...after];
    const [first, rest] = [gate(), gate()];
    t.fake.enqueue({ type: 'text', text: chunks.join(''), chunks, hold: [{ afterChunks: 19, until: first }, { afterChunks: 53, until: rest }] });
    const chat = tg.privateChat(alice);
    tg.userSends({ chat, from: alice, text: 'go' });
    const draft = await draftIn(tg, chat.id);
    first.release();
    await rest.reached;
    // Let the clock run until the text written after the markup is on the draft.
    await poll(() => {
        clock.advance(1000);
        return editsOf(tg, draft).some((text) => text.includes('after0'));
      })
      .toBe(true);
    rest.release();
    // The final text is the cleaned reply (the same cleaning as without streaming).
    await poll(() => texts(tg, chat.id)).toEqual([cleanLeakedMarkup(chunks.join(''))]);
    await t.gateway.channels.settled();
    const shown = [draft.text!, ...editsOf(tg, draft)];
    expect(shown.join('\n')).not.toMatch(/tool_call|im_start|calc_add|<\|/);
    expect(texts(tg, chat.id)[0]).toContain('streamed19. after0');
  });

  it('text before a tool call stays in the draft and the reply after the tool replaces it: one message', async () => {
    const { t, tg } = await start();
    const lead = streamedWords(24, 'checking');
    const held = gate();
    t.fake.enqueue({ type: 'tool_calls', text: lead.join(''), chunks: lead, calls: [{ name: 'no_such_tool', arguments: {} }], hold: { afterChunks: 20, until: held } }, turns.text(streamedWords(10, 'answer').join('')));
    const chat = tg.privateChat(alice);
    tg.userSends({ chat, from: alice, text: 'use a tool' });
    const draft = await draftIn(tg, chat.id);
    expect(draft.text).toContain('checking0');
    held.release();
    const answer = streamedWords(10, 'answer').join('');
    await poll(() => texts(tg, chat.id)).toEqual([answer]);
    await t.gateway.channels.settled();
    expect(sends(tg)).toHaveLength(1);
    expect(t.fake.chatRequests).toHaveLength(2);
  });

  it('an approval prompt leaves the draft showing the model words (no mark); the prompt is its own message', async () => {
    const { t, tg } = await start();
    const lead = streamedWords(24, 'wiping');
    const held = gate();
    t.fake.enqueue({ type: 'tool_calls', text: lead.join(''), chunks: lead, calls: [{ name: 'calc_wipe', arguments: { target: 'tmp' } }], hold: { afterChunks: 20, until: held } });
    const chat = tg.privateChat(alice);
    tg.userSends({ chat, from: alice, text: 'wipe tmp' });
    const draft = await draftIn(tg, chat.id);
    held.release();
    await poll(() => tg.botMessages(chat.id).find((m) => m.reply_markup)).toBeDefined();
    await t.gateway.channels.settled();
    const messages = tg.botMessages(chat.id);
    expect(messages).toHaveLength(2);
    expect(messages[0]!.message_id).toBe(draft.message_id);
    expect(messages[0]!.text!.trim()).toBe(lead.join('').trim());
    expect(messages[1]!.text).toContain('calc.wipe needs approval');
  });

  it('config: stream_edit_interval_ms below the minimum and an unknown stream_replies are refused, naming file and key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'securesphere-stream-config-'));
    try {
      const write = (body: string) => {
        const file = join(dir, 'c.yaml');
        writeFileSync(file, `channels:\n  telegram:\n    token: \${env:T}\n${body}`);
        return file;
      };
      const tooFast = write('    stream_edit_interval_ms: 100\n');
      expect(() => loadConfig({ configPath: tooFast, env: {}, cwd: dir })).toThrow(/c\.yaml: channels\.telegram\.stream_edit_interval_ms: at least 500: chat platforms rate-limit edits/);
      expect(() => loadConfig({ configPath: write('    stream_replies: sometimes\n'), env: {}, cwd: dir })).toThrow(/channels\.telegram\.stream_replies: .*"edits"/);
      const ok = (loadConfig({ configPath: write('    stream_replies: final\n'), env: {}, cwd: dir }).config.channels as Record<string, any>).telegram;
      expect([ok.stream_replies, ok.stream_edit_interval_ms]).toEqual(['final', 1000]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
