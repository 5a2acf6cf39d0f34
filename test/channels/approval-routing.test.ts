// Approval routing across channels: a step only an admin may approve is shown in the
// requester's chat and in each admin's configured chat (policy.admin_chats) on another
// platform; the first press decides, a later press anywhere is "already decided", and every
// copy of the prompt is edited to show the outcome. Whoever presses is the platform's sender.
import { afterEach, describe, expect, it } from 'vitest';
import { turns } from '../fakes/ollama-server.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { LoopbackAdapter } from './loopback-adapter.js';

const running: TestGateway[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

async function start() {
  const chat = new LoopbackAdapter('alpha');
  const ops = new LoopbackAdapter('beta');
  const t = await startTestGateway({
    config: { policy: { admins: ['beta:boss'], admin_chats: { 'beta:boss': { channel: 'beta', conversation: 'boss-dm' } } } },
    gatewayOptions: { channels: [{ adapter: chat }, { adapter: ops }], outboxRetry: { baseMs: 20, maxMs: 100 } },
  });
  running.push(t);
  return { t, chat, ops };
}

const prompts = (adapter: LoopbackAdapter, conversation: string) => adapter.shown.filter((m) => m.conversation === conversation && m.approval);

describe('approval routing', () => {
  it('shows an admin-only step to the admin on another platform; the first press decides and every copy is updated', async () => {
    const { t, chat, ops } = await start();
    t.fake.enqueue(turns.toolCall('calc_nuke', { target: 'workspace' }), turns.text('nuked'));
    await chat.send('alice', 'room', 'nuke it');
    await expect.poll(() => [prompts(chat, 'room').length, prompts(ops, 'boss-dm').length]).toEqual([1, 1]);
    const id = prompts(chat, 'room')[0]!.approval!.approvalId;
    expect(prompts(ops, 'boss-dm')[0]!.approval!.approvalId).toBe(id);

    // A stranger in the admin's app, and the requester (not an admin), are refused.
    expect(await ops.ctx!.decide({ approvalId: id, decision: 'approve', userId: 'intruder' })).toMatchObject({ status: 'refused', reason: 'not_an_approver' });
    expect(await chat.ctx!.decide({ approvalId: id, decision: 'approve', userId: 'alice' })).toMatchObject({ status: 'refused', reason: 'not_an_approver' });

    const [first, second] = await Promise.all([
      ops.ctx!.decide({ approvalId: id, decision: 'approve', userId: 'boss' }),
      ops.ctx!.decide({ approvalId: id, decision: 'approve', userId: 'boss' }),
    ]);
    expect([first.status, second.status].sort()).toEqual(['approved', 'refused']);
    expect([first, second].find((o) => o.status === 'refused')).toMatchObject({ reason: 'already_decided' });
    await expect.poll(() => chat.texts('room')).toContain('nuked');
    // Both copies now show the outcome, edited in place.
    await expect
      .poll(() => [prompts(chat, 'room')[0]!.approval!.outcome?.status, prompts(ops, 'boss-dm')[0]!.approval!.outcome?.status])
      .toEqual(['approved', 'approved']);
    expect(prompts(chat, 'room')[0]!.edits).toBe(1);
    expect(prompts(ops, 'boss-dm')[0]!.edits).toBe(1);
    expect(t.gateway.approvals.get(id)).toMatchObject({ status: 'approved', decidedBy: 'beta:boss' });
  });

  it('an admin-only step asked for through the HTTP API also reaches the admin chat', async () => {
    const { t, ops } = await start();
    t.fake.enqueue(turns.toolCall('calc_nuke', { target: 'workspace' }));
    const asked = await t.api('POST', '/api/messages', { conversation_id: 'api-conv', text: 'nuke it' });
    expect(asked.body.status).toBe('awaiting_approval');
    await expect.poll(() => prompts(ops, 'boss-dm').map((m) => m.approval!.approvalId)).toEqual([asked.body.pending_approvals[0].id]);
  });

  it('on a platform without edits the outcome arrives as a new message', async () => {
    const { t, chat } = await start();
    chat.limits = { maxTextLength: 200, supportsEdit: false };
    t.fake.enqueue(turns.toolCall('calc_wipe', { target: 'tmp' }), turns.text('wiped'));
    await chat.send('alice', 'room', 'wipe tmp');
    await expect.poll(() => prompts(chat, 'room').length).toBe(1);
    const id = prompts(chat, 'room')[0]!.approval!.approvalId;
    await chat.ctx!.decide({ approvalId: id, decision: 'deny', userId: 'alice' });
    await expect.poll(() => prompts(chat, 'room').map((m) => m.approval!.outcome?.status ?? 'pending')).toEqual(['pending', 'denied']);
    expect(prompts(chat, 'room')[0]!.edits).toBe(0);
  });

  it('a step the requester may approve stays in the requester\'s chat', async () => {
    const { t, chat, ops } = await start();
    t.fake.enqueue(turns.toolCall('calc_wipe', { target: 'tmp' }), turns.text('wiped'));
    await chat.send('alice', 'room', 'wipe tmp');
    await expect.poll(() => prompts(chat, 'room').length).toBe(1);
    const id = prompts(chat, 'room')[0]!.approval!.approvalId;
    expect(await chat.ctx!.decide({ approvalId: id, decision: 'approve', userId: 'alice' })).toMatchObject({ status: 'approved' });
    await expect.poll(() => chat.texts('room')).toContain('wiped');
    expect(prompts(ops, 'boss-dm')).toHaveLength(0);
  });
});
