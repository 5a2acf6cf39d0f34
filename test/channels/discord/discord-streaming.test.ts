// Streamed replies on Discord, end to end: discord.js against the Discord stand-in (REST and
// gateway over real sockets), the fake model streaming. In a DM the host posts one draft and
// edits it once per interval of its (test-driven) clock, the final text last; for /ask the
// deferred response itself is the draft, and a long answer ends as the original plus
// follow-ups, exactly as without streaming, with nothing posted to the channel directly.
import { afterEach, describe, expect, it } from 'vitest';
import { DISCORD_TEXT_LIMIT } from '../../../channels/discord/render.js';
import { splitText } from '../../../src/channel-host/split-text.js';
import { waitFor } from '../../fakes/discord.js';
import { createManualClock, type ManualClock } from '../../helpers/manual-clock.js';
import { gate, heldReply, poll, streamedWords } from '../stream-script.js';
import { ALICE, startDiscordGateway, type DiscordGateway } from './discord-gateway.js';

let g: DiscordGateway | undefined;
afterEach(async () => {
  await g?.close();
  g = undefined;
});

async function start(): Promise<{ g: DiscordGateway; clock: ManualClock; edits: Array<{ id: string; content: string }> }> {
  const clock = createManualClock();
  g = await startDiscordGateway({ gatewayOptions: { replyDraftClock: clock } });
  const edits: Array<{ id: string; content: string }> = [];
  g.discord.onBotMessage((m, kind) => {
    if (kind === 'edited') edits.push({ id: m.id, content: m.content });
  });
  return { g, clock, edits };
}

describe('streamed replies on Discord', () => {
  it('a DM: one draft, one edit per interval, the final text in the same message', async () => {
    const { g, clock, edits } = await start();
    const dm = g.discord.dmChannel(ALICE);
    const { reply, gates: [first, rest], turn } = heldReply(40, 15, 30);
    g.t.fake.enqueue(turn);
    g.discord.sendMessage({ user: ALICE, channelId: dm, content: 'tell me a story' });
    await poll(() => g.discord.botMessages(dm).length, { timeout: 15_000 }).toBe(1);
    const draft = g.discord.botMessages(dm)[0]!;
    expect(draft.content).toMatch(/ …$/);
    first.release();
    await rest.reached;
    clock.advance(1000);
    await poll(() => edits.filter((e) => e.id === draft.id).length).toBe(1);
    rest.release();
    await poll(() => g.discord.botMessages(dm).map((m) => m.content)).toEqual([reply]);
    await g.t.gateway.channels.settled();
    const mine = edits.filter((e) => e.id === draft.id).map((e) => e.content);
    expect(mine).toHaveLength(2);
    expect(mine[0]).toMatch(/ …$/);
    expect(mine[1]).toBe(reply);
    expect(g.discord.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${dm}/messages`)).toHaveLength(1);
  }, 30_000);

  it('/ask: the deferred response is the draft; a long answer ends as the original plus follow-ups, split as without streaming', async () => {
    const { g, clock, edits } = await start();
    const words = streamedWords(500, 'w');
    const reply = words.join('');
    const [first, rest] = [gate(), gate()];
    g.t.fake.enqueue({ type: 'text', text: reply, chunks: words, hold: [{ afterChunks: 30, until: first }, { afterChunks: 300, until: rest }] });
    const ask = g.discord.runCommand({ user: ALICE, channelId: g.general, name: 'ask', options: { text: 'say a lot' } });
    await waitFor(() => ask.callbacks.find((c) => c.type === 5), 10_000, 'the deferred callback');
    await poll(() => (ask.originalId ? g.discord.state.messages.get(ask.originalId)?.content : undefined), { timeout: 15_000 }).toMatch(/ …$/);
    first.release();
    await rest.reached;
    clock.advance(1000);
    await poll(() => edits.filter((e) => e.id === ask.originalId && e.content.length > DISCORD_TEXT_LIMIT / 2).length).toBe(1);
    // Past the limit the draft holds one message's worth.
    expect(g.discord.state.messages.get(ask.originalId!)!.content.length).toBeLessThanOrEqual(DISCORD_TEXT_LIMIT);
    rest.release();
    const expected = splitText(reply, DISCORD_TEXT_LIMIT);
    expect(expected.length).toBeGreaterThanOrEqual(2);
    const parts = () => [ask.originalId!, ...ask.followUpIds].map((id) => g.discord.state.messages.get(id)?.content ?? '');
    await poll(() => parts(), { timeout: 15_000 }).toEqual(expected);
    await g.t.gateway.channels.settled();
    expect(parts()).toEqual(expected);
    // Everything went through the interaction or edits of its response: nothing posted to the channel.
    expect(g.discord.requests.some((r) => r.method === 'POST' && r.path === `/channels/${g.general}/messages`)).toBe(false);
  }, 30_000);
});
