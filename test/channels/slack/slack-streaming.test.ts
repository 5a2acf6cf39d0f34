// Streamed replies on Slack, end to end (Socket Mode): Bolt's Web API client against the Slack
// stand-in, the fake model streaming over a real socket. The channel host posts one draft with
// chat.postMessage and updates it with chat.update at most once per interval (the host's
// clock is driven by the test), and the final reply is the last update of the same message.
// `stream_replies: final` posts once and never updates; a failed update is skipped.
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../helpers/manual-clock.js';
import { heldReply, poll, streamedWords } from '../stream-script.js';
import { ALICE, ALICE_DM, startSlackGateway, type SlackGateway } from './slack-gateway.js';

const running: SlackGateway[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

async function start(section: Record<string, unknown> = {}): Promise<{ g: SlackGateway; clock: ManualClock }> {
  const clock = createManualClock();
  const g = await startSlackGateway({ mode: 'socket', section, gatewayOptions: { replyDraftClock: clock } });
  running.push(g);
  return { g, clock };
}

const callsOf = (g: SlackGateway, method: string) => g.slack.calls.filter((c) => c.method === method);

describe('streamed replies on Slack', () => {
  it('one draft, chat.update bounded by the interval, the final text as the last update of the same message', async () => {
    const { g, clock } = await start();
    const { reply, gates: [first, rest], turn } = heldReply(40, 15, 30);
    g.t.fake.enqueue(turn);
    await g.slack.sendMessage({ user: ALICE, channel: ALICE_DM, text: 'tell me a long story' });

    await poll(() => g.slack.postedIn(ALICE_DM).length).toBe(1);
    const draft = g.slack.postedIn(ALICE_DM)[0]!;
    expect(draft.posted.text).toMatch(/ …$/);
    expect(reply.startsWith(draft.posted.text.replace(/ …$/, '').trimEnd())).toBe(true);
    first.release();
    await rest.reached;
    expect(draft.updates).toEqual([]);
    clock.advance(1000);
    await poll(() => draft.updates.length).toBe(1);
    rest.release();
    await poll(() => draft.text).toBe(reply);
    await g.settle();

    expect(g.slack.postedIn(ALICE_DM)).toHaveLength(1);
    expect(callsOf(g, 'chat.postMessage')).toHaveLength(1);
    const updates = draft.updates.map((u) => u.text);
    expect(updates).toHaveLength(2);
    expect(updates[0]).toMatch(/ …$/);
    expect(updates[0]!.length).toBeGreaterThan(draft.posted.text.length);
    expect(updates[1]).toBe(reply);
    expect(g.t.fake.chatRequests.at(-1)!.stream).toBe(true);
  });

  it('stream_replies: final posts exactly one message and never updates it', async () => {
    const { g } = await start({ stream_replies: 'final' });
    const words = streamedWords(30);
    g.t.fake.enqueue({ type: 'text', text: words.join(''), chunks: words });
    await g.slack.sendMessage({ user: ALICE, channel: ALICE_DM, text: 'no streaming' });
    await poll(() => g.slack.postedIn(ALICE_DM).map((m) => m.text)).toEqual([words.join('')]);
    await g.settle();
    expect(callsOf(g, 'chat.postMessage')).toHaveLength(1);
    expect(callsOf(g, 'chat.update')).toHaveLength(0);
    expect(g.t.fake.chatRequests.at(-1)!.stream).toBe(false);
  });

  it('a failed chat.update is skipped, not retried, and the final reply still lands in the draft', async () => {
    const { g, clock } = await start();
    const { reply, gates: [first, rest], turn } = heldReply(40, 15, 30);
    g.t.fake.enqueue(turn);
    await g.slack.sendMessage({ user: ALICE, channel: ALICE_DM, text: 'go' });
    await poll(() => g.slack.postedIn(ALICE_DM).length).toBe(1);
    const draft = g.slack.postedIn(ALICE_DM)[0]!;
    g.slack.failNext({ status: 503 }, 'chat.update');
    first.release();
    await rest.reached;
    clock.advance(1000);
    await poll(() => callsOf(g, 'chat.update').length).toBe(1);
    rest.release();
    await poll(() => draft.text).toBe(reply);
    await g.settle();
    // The failed update was not sent again: one failed, one final.
    expect(callsOf(g, 'chat.update')).toHaveLength(2);
    expect(draft.updates.map((u) => u.text)).toEqual([reply]);
    expect(g.slack.postedIn(ALICE_DM)).toHaveLength(1);
  });
});
