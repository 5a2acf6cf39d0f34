// Races between a streamed draft and the reply that replaces it, inside the real gateway with
// an in-process adapter whose platform calls the test holds open: the reply is queued in the
// outbox at once (durable), and the outbox waits for the draft call in flight before editing,
// so the reply never races a draft update and is never lost when the draft could not be posted.
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelDeliveryError, type OutboundDelivery } from '../../channels/channel.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createManualClock, type ManualClock } from '../helpers/manual-clock.js';
import { LoopbackAdapter } from './loopback-adapter.js';
import { heldReply, poll, streamedWords } from './stream-script.js';

/** A loopback platform whose next call waits until the test lets it answer (or fail). */
class HeldAdapter extends LoopbackAdapter {
  readonly calls: Array<{ kind: 'deliver' | 'edit'; text: string }> = [];
  private held: { until: Promise<void>; fail: boolean } | undefined;
  holdNext(fail = false): () => void {
    let release!: () => void;
    this.held = { until: new Promise<void>((resolve) => (release = resolve)), fail };
    return release;
  }
  private async pass(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    if (!held) return;
    await held.until;
    if (held.fail) throw new ChannelDeliveryError('transient', 'platform unreachable (ECONNRESET)');
  }
  override async deliver(message: OutboundDelivery): Promise<{ platformMessageId: string }> {
    this.calls.push({ kind: 'deliver', text: message.text });
    await this.pass();
    return super.deliver(message);
  }
  override async edit(platformMessageId: string, message: OutboundDelivery): Promise<void> {
    this.calls.push({ kind: 'edit', text: message.text });
    await this.pass();
    return super.edit(platformMessageId, message);
  }
}

const running: TestGateway[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

async function start(supportsEdit = true): Promise<{ t: TestGateway; adapter: HeldAdapter; clock: ManualClock }> {
  const adapter = new HeldAdapter();
  adapter.limits = { maxTextLength: 4000, supportsEdit };
  const clock = createManualClock();
  const t = await startTestGateway({
    gatewayOptions: {
      channels: [{ adapter, streaming: { editIntervalMs: 1000 } }],
      outboxRetry: { baseMs: 20, maxMs: 100 },
      replyDraftClock: clock,
    },
  });
  running.push(t);
  return { t, adapter, clock };
}

const pendingEdits = (t: TestGateway) => (t.gateway.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'edit' AND state = 'pending'").get() as { n: number }).n;

describe('a streamed draft and its reply', () => {
  it('the reply queued while the draft is still being posted replaces it once the post answers', async () => {
    const { t, adapter } = await start();
    const { reply, gates: [rest], turn } = heldReply(30, 20);
    t.fake.enqueue(turn);
    const answerPost = adapter.holdNext();
    await adapter.send('u1', 'room', 'hello');
    await poll(() => adapter.calls.length).toBe(1);
    rest.release();
    // The reply is in the outbox (an edit of the draft) while the draft's post has not answered.
    await poll(() => pendingEdits(t)).toBe(1);
    expect(adapter.calls).toEqual([{ kind: 'deliver', text: expect.stringMatching(/ …$/) }]);
    answerPost();
    await poll(() => adapter.texts('room')).toEqual([reply]);
    await t.gateway.channels.settled();
    expect(adapter.calls.map((c) => c.kind)).toEqual(['deliver', 'edit']);
    expect(adapter.shown).toHaveLength(1);
  });

  it('the draft post fails after the reply was queued: the reply goes out as a new message, once', async () => {
    const { t, adapter } = await start();
    const { reply, gates: [rest], turn } = heldReply(30, 20);
    t.fake.enqueue(turn);
    const failPost = adapter.holdNext(true);
    await adapter.send('u1', 'room', 'hello');
    await poll(() => adapter.calls.length).toBe(1);
    rest.release();
    await poll(() => pendingEdits(t)).toBe(1);
    failPost();
    await poll(() => adapter.texts('room')).toEqual([reply]);
    await t.gateway.channels.settled();
    expect(adapter.calls.map((c) => c.kind)).toEqual(['deliver', 'deliver']);
    expect(t.gateway.db.prepare('SELECT state, kind, draft FROM outbox ORDER BY seq').all()).toEqual([
      { state: 'failed', kind: 'send', draft: 'closed' },
      { state: 'delivered', kind: 'edit', draft: null },
    ]);
  });

  it('an edit in flight when the reply is queued: the reply edit waits for it, so the final text is last', async () => {
    const { t, adapter, clock } = await start();
    const { reply, gates: [more, rest], turn } = heldReply(40, 15, 30);
    t.fake.enqueue(turn);
    await adapter.send('u1', 'room', 'hello');
    await poll(() => adapter.shown.length).toBe(1);
    const answerEdit = adapter.holdNext();
    more.release();
    await rest.reached;
    clock.advance(1000);
    await poll(() => adapter.calls.length).toBe(2);
    rest.release();
    await poll(() => pendingEdits(t)).toBe(1);
    // The reply's edit has not overtaken the draft edit still in flight.
    expect(adapter.calls.map((c) => c.kind)).toEqual(['deliver', 'edit']);
    answerEdit();
    await poll(() => adapter.texts('room')).toEqual([reply]);
    await t.gateway.channels.settled();
    expect(adapter.calls.map((c) => c.kind)).toEqual(['deliver', 'edit', 'edit']);
    expect(adapter.calls.at(-1)!.text).toBe(reply);
  });

  it('a platform that cannot edit gets the finished text only (the default there is final)', async () => {
    const { t, adapter } = await start(false);
    const words = streamedWords(30);
    t.fake.enqueue({ type: 'text', text: words.join(''), chunks: words });
    await adapter.send('u1', 'room', 'hello');
    await poll(() => adapter.texts('room')).toEqual([words.join('')]);
    await t.gateway.channels.settled();
    expect(adapter.calls.map((c) => c.kind)).toEqual(['deliver']);
    expect(t.fake.chatRequests.at(-1)!.stream).toBe(false);
  });
});
