// A streamed reply across a real crash: `securesphere start` in a child process streams a
// reply to the Telegram stand-in (a draft is on the chat), and is killed with SIGKILL while the
// model is still writing. After a restart the stale draft is edited to say it was interrupted
// (it never stays a half message with a "…" mark), and the recovered turn's reply arrives
// exactly once. Needs `npm run build` (it runs dist/).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERRUPTED_NOTE } from '../../../src/channel-host/reply-drafts.js';
import { turns, type FakeOllama } from '../../fakes/ollama-server.js';
import type { FakeTelegram } from '../../fakes/telegram-bot-api.js';
import { gate, streamedWords } from '../stream-script.js';
import { openTelegramProcessHarness, type TelegramProcessHarness } from './telegram-process.js';

let harness: TelegramProcessHarness;
let model: FakeOllama;
let telegram: FakeTelegram;
const alice = { id: 1001, is_bot: false, first_name: 'Alice' };
const never = gate();

beforeAll(async () => {
  harness = await openTelegramProcessHarness({ token: 'telegram-stream-kill-token-123456', tmpPrefix: 'securesphere-stream-kill-' });
  ({ model, telegram } = harness);
});

afterAll(async () => {
  never.release();
  await harness?.close();
});

const startGateway = () => harness.start();
/**
 * The draft row as the gateway stored it. The stand-in shows the draft as soon as it answers
 * sendMessage, a moment before the gateway stores the message id; a kill inside that moment
 * leaves nothing known to edit (reply-drafts.ts marks such a draft failed), so the kill waits
 * for the stored id.
 */
function storedDraft(): { draft: string; platform_message_id: string | null } | undefined {
  const db = new Database(join(harness.dataDir, 'securesphere.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT draft, platform_message_id FROM outbox WHERE draft IS NOT NULL ORDER BY seq DESC LIMIT 1').get() as
      | { draft: string; platform_message_id: string | null }
      | undefined;
  } finally {
    db.close();
  }
}
const polling = () => harness.polling();

describe('a streamed Telegram reply across SIGKILL', () => {
  it('the stale draft is marked interrupted and the recovered reply arrives once', async () => {
    const first = await startGateway();
    await expect.poll(polling, { timeout: 30_000 }).toBe(1);
    const words = streamedWords(60);
    const recovered = streamedWords(12, 'recovered').join('');
    model.enqueue({ type: 'text', text: words.join(''), chunks: words, hold: { afterChunks: 30, until: never } }, turns.text(recovered));
    const chat = telegram.privateChat(alice);
    telegram.userSends({ chat, from: alice, text: 'write a lot' });
    await expect.poll(() => telegram.botMessages(chat.id).length, { timeout: 30_000 }).toBe(1);
    await never.reached;
    const draft = telegram.botMessages(chat.id)[0]!;
    expect(draft.text).toMatch(/ …$/);
    await expect.poll(storedDraft, { timeout: 30_000 }).toEqual({ draft: 'open', platform_message_id: String(draft.message_id) });
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startGateway();
    await expect.poll(() => telegram.botMessages(chat.id).map((m) => m.text), { timeout: 30_000 }).toEqual([expect.stringContaining(INTERRUPTED_NOTE), recovered]);
    const interrupted = telegram.message(chat.id, draft.message_id)!.text!;
    expect(interrupted).not.toContain('…');
    expect(interrupted.startsWith('streamed0 streamed1')).toBe(true);
    expect(words.join('').startsWith(interrupted.slice(0, interrupted.indexOf(INTERRUPTED_NOTE)).trimEnd())).toBe(true);
    // The recovered turn asked the model once more; its reply went out once.
    expect(model.chatRequests.filter((r) => r.messages.at(-1)?.content === 'write a lot')).toHaveLength(2);
    expect(telegram.botMessages(chat.id).filter((m) => m.text === recovered)).toHaveLength(1);
    second.child.kill('SIGKILL');
    await second.exited;
  }, 120_000);
});
