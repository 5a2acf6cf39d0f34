// Streamed replies on Matrix, end to end on a real Synapse: the fake model streams over a real
// socket, the channel host posts one draft m.room.message and edits it with m.replace at most
// once per interval (the host's clock is driven by the test, so the bound is exact, not timed),
// and the final reply is the last edit of the same message. `stream_replies: final` sends one
// message and no edit.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { createManualClock, type ManualClock } from '../../helpers/manual-clock.js';
import { describeSynapse, startSynapse, type MatrixUser, type Synapse } from '../../helpers/synapse.js';
import { gate, poll, streamedWords } from '../stream-script.js';
import { botMessages, startTestUser, type TestUser } from './matrix-users.js';

describeSynapse('streamed replies on Matrix (real Synapse)', () => {
  let synapse: Synapse;
  let bot: MatrixUser;
  let alice: TestUser;
  const running: TestGateway[] = [];

  beforeAll(async () => {
    synapse = await startSynapse();
    bot = await synapse.register('bot');
    alice = await startTestUser(synapse, await synapse.register('alice'));
  }, 120_000);

  afterAll(async () => {
    while (running.length) await running.pop()!.close();
    await alice?.stop();
    await synapse?.stop();
  });

  async function start(section: Record<string, unknown> = {}): Promise<{ g: TestGateway; clock: ManualClock; roomId: string }> {
    while (running.length) await running.pop()!.close();
    const clock = createManualClock();
    const g = await startTestGateway({
      config: { channels: { matrix: { homeserver_url: synapse.url, user_id: bot.userId, access_token: '${env:MATRIX_TOKEN}', access: 'allowlist', allow: [alice.userId], encryption: false, ...section } } },
      env: { MATRIX_TOKEN: bot.accessToken },
      gatewayOptions: { replyDraftClock: clock },
    });
    running.push(g);
    await poll(async () => (await g.api('GET', '/api/health')).body.channels.find((c: { name: string }) => c.name === 'matrix')?.connected, { timeout: 60_000 }).toBe(true);
    const roomId = await alice.createRoom({ invite: [bot.userId] });
    await poll(() => alice.membership(roomId, bot.userId), { timeout: 30_000 }).toBe('join');
    return { g, clock, roomId };
  }

  /** The bot's m.room.message events in the room as sent (drafts and their m.replace edits apart). */
  const sent = (roomId: string) => alice.events(roomId).filter((e) => e.sender === bot.userId && e.type === 'm.room.message');
  const editsOf = (roomId: string, eventId: string) =>
    sent(roomId).filter((e) => (e.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined)?.event_id === eventId && (e.content['m.relates_to'] as { rel_type?: string }).rel_type === 'm.replace');

  it('one draft, m.replace edits bounded by the interval, the final text as the last edit of the same message', async () => {
    const { g, clock, roomId } = await start();
    const words = streamedWords(60);
    const reply = words.join('');
    const [first, second, third] = [gate(), gate(), gate()];
    g.fake.enqueue({ type: 'text', text: reply, chunks: words, hold: [{ afterChunks: 15, until: first }, { afterChunks: 30, until: second }, { afterChunks: 45, until: third }] });
    await alice.send(roomId, { msgtype: 'm.text', body: 'tell me a long story' });

    await poll(() => botMessages(alice, roomId, bot.userId).length).toBe(1);
    const draft = botMessages(alice, roomId, bot.userId)[0]!;
    expect(String(draft.content.body)).toMatch(/ …$/);
    expect(reply.startsWith(String(draft.content.body).replace(/ …$/, '').trimEnd())).toBe(true);
    // Two rounds of new text inside one interval, then the interval passes: exactly one edit,
    // and it carries the newest text (an unpaced draft would have sent the first round at once).
    first.release();
    await second.reached;
    // A pause (a wait, not a measurement): an unpaced draft would send round one's edit now.
    await new Promise((resolve) => setTimeout(resolve, 500));
    second.release();
    await third.reached;
    clock.advance(1000);
    await poll(() => editsOf(roomId, draft.id).length).toBe(1);
    const paced = String((editsOf(roomId, draft.id)[0]!.content['m.new_content'] as { body?: string }).body);
    expect(paced).toMatch(/ …$/);
    expect(paced).toContain('streamed20 ');
    third.release();
    await poll(() => String(botMessages(alice, roomId, bot.userId)[0]!.content.body)).toBe(reply);

    // One message on the room; its edits: the one paced draft update, then the final text.
    expect(botMessages(alice, roomId, bot.userId)).toHaveLength(1);
    const edits = editsOf(roomId, draft.id).map((e) => String((e.content['m.new_content'] as { body?: string }).body));
    expect(edits).toEqual([paced, reply]);
    expect(g.fake.chatRequests.at(-1)!.stream).toBe(true);
  }, 120_000);

  it('stream_replies: final sends one message and never edits it', async () => {
    const { g, roomId } = await start({ stream_replies: 'final' });
    const words = streamedWords(30);
    g.fake.enqueue({ type: 'text', text: words.join(''), chunks: words });
    await alice.send(roomId, { msgtype: 'm.text', body: 'the whole answer at once' });
    await poll(() => botMessages(alice, roomId, bot.userId).map((m) => String(m.content.body))).toEqual([words.join('')]);
    expect(sent(roomId)).toHaveLength(1);
    expect(g.fake.chatRequests.at(-1)!.stream).not.toBe(true);
  }, 120_000);
});
