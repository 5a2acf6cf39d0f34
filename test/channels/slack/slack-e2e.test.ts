// The Slack channel end to end, in both connection modes: the whole gateway (config loader,
// registry, channel host, outbox, orchestrator, approvals) with Bolt pointed at the Slack
// stand-in over real sockets and the fake Ollama as the model.
import { afterEach, describe, expect, it } from 'vitest';
import { turns } from '../../fakes/ollama-server.js';
import { waitFor } from '../../fakes/slack.js';
import { ALICE, ALICE_DM, BOB, BOB_DM, GENERAL, MALLORY, MALLORY_DM, startSlackGateway, type SlackGateway, type SlackMode } from './slack-gateway.js';

const running: SlackGateway[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

async function start(mode: SlackMode, section: Record<string, unknown> = {}, config: Record<string, unknown> = {}): Promise<SlackGateway> {
  const g = await startSlackGateway({ mode, section, config });
  running.push(g);
  return g;
}

function storedInbound(g: SlackGateway): number {
  return (g.t.gateway.db.prepare('SELECT COUNT(*) AS n FROM channel_inbound').get() as { n: number }).n;
}

function chatRequestsWith(g: SlackGateway, text: string): number {
  return g.t.fake.chatRequests.filter((r) => r.messages.some((m) => m.role === 'user' && m.content.includes(text))).length;
}

describe.each<SlackMode>(['socket', 'http'])('Slack channel (%s mode)', (mode) => {
  it('answers a DM in the DM, acknowledging the event before the model answers', async () => {
    const g = await start(mode);
    // A model that takes 5 s. (A function as turns.delay's `then` makes the spec a thenable, so the delay is written out here.)
    let modelAnsweredAt = 0;
    g.t.fake.enqueue(async () => {
      await new Promise((r) => setTimeout(r, 5_000));
      modelAnsweredAt = performance.now();
      return turns.text('slow answer');
    });
    const delivered = await g.slack.sendMessage({ user: ALICE, channel: ALICE_DM, text: 'hello there' });
    expect(delivered.status).toBe(200);
    // Acknowledged once stored (a crash after the ack cannot lose it), and before any reply.
    expect(storedInbound(g)).toBe(1);
    expect(g.slack.postedIn(ALICE_DM)).toEqual([]);
    const reply = await waitFor(() => g.slack.postedIn(ALICE_DM)[0], 20_000, 'the reply');
    expect(reply).toMatchObject({ text: 'slow answer' });
    expect(reply.threadTs).toBeUndefined();
    expect(modelAnsweredAt).toBeGreaterThan(0);
    expect(delivered.ackAt).toBeLessThan(modelAnsweredAt);
    const post = g.slack.calls.find((c) => c.method === 'chat.postMessage')!;
    expect(delivered.ackAt).toBeLessThan(post.at);
  });

  it('processes a retried event (same event_id) once', async () => {
    const g = await start(mode);
    const first = await g.slack.sendMessage({ user: ALICE, channel: ALICE_DM, text: 'only once please' });
    await g.settle();
    const retry = await g.slack.redeliver(first, 1);
    expect(retry.status).toBe(200);
    await g.settle();
    expect(chatRequestsWith(g, 'only once please')).toBe(1);
    // The sender's display name came from users.info (once), for pairing lists and history.
    expect(g.t.gateway.db.prepare('SELECT sender_name FROM channel_inbound').all()).toEqual([{ sender_name: 'alice' }]);
    expect(g.slack.calls.filter((c) => c.method === 'users.info')).toHaveLength(1);
    expect(g.slack.postedIn(ALICE_DM).map((m) => m.text)).toEqual([expect.stringContaining('only once please')]);
  });

  it('answers a mention in a thread inside that thread, and a mention outside a thread in a new one', async () => {
    const g = await start(mode);
    const top = await g.slack.mention({ user: ALICE, channel: GENERAL, text: 'first topic' });
    await g.settle();
    const inThread = await g.slack.mention({ user: BOB, channel: GENERAL, text: 'second topic', threadTs: '1700000000.000100' });
    await g.settle();
    const replies = g.slack.postedIn(GENERAL);
    expect(replies).toHaveLength(2);
    expect(replies[0]).toMatchObject({ threadTs: top.ts, text: expect.stringContaining('first topic') });
    expect(replies[1]).toMatchObject({ threadTs: '1700000000.000100', text: expect.stringContaining('second topic') });
    expect(inThread.ts).not.toBe(top.ts);
    // Two threads, two conversations: the second turn did not see the first.
    const second = g.t.fake.chatRequests.at(-1)!;
    expect(second.messages.some((m) => m.content.includes('first topic'))).toBe(false);
  });

  it('answers a follow-up in a thread it answered in without a new mention; ignores chatter elsewhere', async () => {
    const g = await start(mode);
    const top = await g.slack.mention({ user: ALICE, channel: GENERAL, text: 'start a thread' });
    await waitFor(() => g.slack.postedIn(GENERAL, top.ts)[0], 10_000, 'the first reply');
    await g.slack.sendMessage({ user: ALICE, channel: GENERAL, text: 'and a follow-up', threadTs: top.ts });
    await g.slack.sendMessage({ user: ALICE, channel: GENERAL, text: 'chatter in the channel' });
    await g.slack.sendMessage({ user: ALICE, channel: GENERAL, text: 'chatter in another thread', threadTs: '1600000000.000001' });
    await g.settle();
    expect(g.slack.postedIn(GENERAL).map((m) => [m.threadTs, m.text])).toEqual([
      [top.ts, expect.stringContaining('start a thread')],
      [top.ts, expect.stringContaining('and a follow-up')],
    ]);
    expect(chatRequestsWith(g, 'chatter')).toBe(0);
  });

  it('refuses a stranger (allowlist) without asking the model', async () => {
    const g = await start(mode);
    await g.slack.sendMessage({ user: MALLORY, channel: MALLORY_DM, text: 'let me in' });
    await g.settle();
    expect(chatRequestsWith(g, 'let me in')).toBe(0);
  });

  it('shows an approval prompt in Block Kit; a non-approver is refused in an ephemeral message; an approver decides and the prompt is updated', async () => {
    const g = await start(mode);
    g.t.fake.enqueue(turns.toolCall('calc_wipe', { target: 'secret-dir' }), turns.text('wiped'));
    await g.slack.mention({ user: ALICE, channel: GENERAL, text: 'please wipe' });
    await g.settle();
    const prompt = g.slack.postedIn(GENERAL).find((m) => m.blocks)!;
    expect(prompt).toBeDefined();
    const actions = prompt.blocks!.find((b) => (b as { type: string }).type === 'actions') as { elements: Array<{ action_id: string; value: string }> };
    expect(actions.elements.map((e) => e.action_id)).toEqual(['ss_approve', 'ss_deny', 'ss_allow_conversation']);
    const approvalId = actions.elements[0]!.value;
    expect(g.t.gateway.approvals.get(approvalId)).toBeDefined();
    for (const e of actions.elements) expect(e.value).not.toContain('secret-dir');
    expect(JSON.stringify(prompt.blocks)).toContain('secret-dir');

    const refused = await g.slack.click({ user: MALLORY, message: prompt, actionId: 'ss_approve' });
    expect(refused.status).toBe(200);
    await waitFor(() => g.slack.ephemerals.length > 0, 10_000, 'the ephemeral refusal');
    expect(g.slack.ephemerals).toEqual([expect.objectContaining({ channel: GENERAL, user: MALLORY, threadTs: prompt.threadTs })]);
    expect(g.slack.ephemerals[0]!.text).toMatch(/approve/i);
    expect(g.t.gateway.approvals.get(approvalId)!.status).toBe('pending');
    expect(prompt.updates).toEqual([]);

    await g.slack.click({ user: BOB, message: prompt, actionId: 'ss_approve' });
    await g.settle();
    expect(g.t.gateway.approvals.get(approvalId)!.status).toBe('approved');
    await waitFor(() => prompt.updates.length > 0, 10_000, 'the prompt update');
    expect(prompt.blocks!.some((b) => (b as { type: string }).type === 'actions')).toBe(false);
    expect(JSON.stringify(prompt.blocks)).toContain(`Approved* by <@${BOB}>`);
    await waitFor(() => g.slack.postedIn(GENERAL).some((m) => m.text === 'wiped'), 10_000, 'the reply after approval');
  });

  it('shows a critical step to the admin in their own DM too; the admin decides there and both copies are updated', async () => {
    const g = await start(mode, {}, { policy: { approvers: [], admins: [`slack:${BOB}`], admin_chats: { [`slack:${BOB}`]: { channel: 'slack', conversation: BOB_DM } } } });
    g.t.fake.enqueue(turns.toolCall('calc_nuke', { target: 'everything' }), turns.text('nuked'));
    const asked = await g.slack.mention({ user: ALICE, channel: GENERAL, text: 'nuke it' });
    await g.settle();
    const inThread = g.slack.postedIn(GENERAL, asked.ts).find((m) => m.blocks)!;
    const inDm = g.slack.postedIn(BOB_DM).find((m) => m.blocks)!;
    expect(inThread).toBeDefined();
    expect(inDm).toBeDefined();
    await g.slack.click({ user: ALICE, message: inThread, actionId: 'ss_approve' });
    await waitFor(() => g.slack.ephemerals.find((e) => e.user === ALICE), 10_000, 'the refusal');
    await g.slack.click({ user: BOB, message: inDm, actionId: 'ss_approve' });
    await waitFor(() => inThread.updates.length > 0 && inDm.updates.length > 0, 10_000, 'both copies updated');
    for (const copy of [inThread, inDm]) expect(JSON.stringify(copy.blocks)).toContain(`Approved* by <@${BOB}>`);
    await waitFor(() => g.slack.postedIn(GENERAL, asked.ts).some((m) => m.text === 'nuked'), 10_000, 'the reply in the thread');
  });
});
