// The channel host inside the real gateway (store, orchestrator, approvals, fake Ollama on a
// real socket) with an in-process adapter whose platform the test scripts: receive() returns
// before the model answers; the outbox survives outages, honours retry_after, gives up on a
// permanent refusal and keeps each conversation in order; access control (allowlist, pairing,
// groups) decides before anything is stored; one failing channel is retried while others run.
import { afterEach, describe, expect, it } from 'vitest';
import { turns } from '../fakes/ollama-server.js';
import { runCli } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { LoopbackAdapter } from './loopback-adapter.js';

const running: TestGateway[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

const FAST = { outboxRetry: { baseMs: 20, maxMs: 100 }, channelStartRetry: { baseMs: 20, maxMs: 100 } };

async function start(
  adapter: LoopbackAdapter,
  access?: { mode: 'open' | 'allowlist' | 'pairing'; allow?: string[]; groupChats?: string[] },
  config: Record<string, unknown> = {},
  retry: Partial<typeof FAST> & { channelStartWaitMs?: number } = {},
) {
  const t = await startTestGateway({
    config,
    gatewayOptions: { channels: [{ adapter, access: { mode: access?.mode ?? 'open', allow: access?.allow ?? [], groupChats: access?.groupChats ?? [] } }], ...FAST, ...retry },
  });
  running.push(t);
  return t;
}

const stored = (t: TestGateway, conversationId: string) => t.gateway.db.prepare('SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?').get(conversationId) as { n: number };
const outboxRows = (t: TestGateway) => t.gateway.db.prepare('SELECT * FROM outbox ORDER BY seq').all() as Array<{ seq: number; state: string; attempts: number; next_attempt_at: number; text: string }>;

describe('channel host', () => {
  it('receive() resolves once the message is stored and queued, before the model answers', async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    t.fake.enqueue(async () => {
      await gate;
      return turns.text('answered later');
    });
    const result = await adapter.send('u1', 'room', 'hello');
    expect(result).toEqual({ status: 'admitted', conversationKey: 'loop:room' });
    expect(stored(t, 'loop:room').n).toBe(1);
    expect(adapter.texts('room')).toEqual([]);
    release();
    await expect.poll(() => adapter.texts('room')).toEqual(['answered later']);
    // The same platform message again is recognised, even with the turn done.
    expect(await adapter.ctx!.receive({ conversationId: 'room', chatType: 'direct', senderId: 'u1', senderName: 'x', text: 'hello', time: new Date(), platformMessageId: 'p1' })).toMatchObject({ status: 'duplicate' });
  });

  it('keys conversations by channel + platform id: the same chat id on two channels shares nothing', async () => {
    const a = new LoopbackAdapter('alpha');
    const b = new LoopbackAdapter('beta');
    const t = await startTestGateway({ gatewayOptions: { channels: [{ adapter: a }, { adapter: b }], ...FAST } });
    running.push(t);
    expect(await a.send('1', '42', 'from alpha')).toMatchObject({ conversationKey: 'alpha:42' });
    expect(await b.send('1', '42', 'from beta')).toMatchObject({ conversationKey: 'beta:42' });
    await expect.poll(() => [a.texts('42'), b.texts('42')]).toEqual([['from alpha'], ['from beta']]);
    // The model saw only its own conversation's history.
    const last = t.fake.chatRequests.at(-1)!.messages.filter((m) => m.role === 'user').map((m) => m.content);
    expect(last).toEqual([expect.stringMatching(/^from (alpha|beta)$/)]);
  });

  it('holds replies in the outbox while the platform is down and delivers each once, in order, when it is back', async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter);
    adapter.down = true;
    for (const text of ['one', 'two', 'three']) await adapter.send('u1', 'room', text);
    await expect.poll(() => adapter.failures.length).toBeGreaterThanOrEqual(3);
    expect(t.gateway.channels.health().find((c) => c.name === 'loop')).toMatchObject({ connected: false, outboxBacklog: 3 });
    adapter.down = false;
    await expect.poll(() => adapter.texts('room')).toEqual(['one', 'two', 'three']);
    expect(outboxRows(t).every((r) => r.state === 'delivered')).toBe(true);
    // Only the head of the conversation was ever tried while down: order is never broken.
    expect(new Set(adapter.failures.map((f) => f.deliveryId)).size).toBe(1);
  });

  it('a restart keeps what is owed: replies still in the outbox go out once, a redelivered message is still recognised', async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter);
    adapter.down = true;
    await adapter.send('u1', 'room', 'owed across a restart');
    await expect.poll(() => adapter.failures.length).toBeGreaterThanOrEqual(1);
    const t2 = await t.restart();
    running.push(t2);
    adapter.down = false;
    await expect.poll(() => adapter.texts('room')).toEqual(['owed across a restart']);
    // The platform redelivers the first message (same platform message id) after the restart.
    const again = await adapter.ctx!.receive({ conversationId: 'room', chatType: 'direct', senderId: 'u1', senderName: 'x', text: 'owed across a restart', time: new Date(), platformMessageId: 'p1' });
    expect(again).toMatchObject({ status: 'duplicate' });
    expect(t2.fake.chatRequests).toHaveLength(1);
    expect(adapter.texts('room')).toEqual(['owed across a restart']);
  });

  it('marks a delivery uncertain only when it may already be on the platform: after an unclear failure or queued before a restart', async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter);
    const tries = (text: string) => adapter.attempts.filter((a) => a.text === text).map((a) => a.uncertain);
    await adapter.send('u1', 'fresh', 'fresh');
    await expect.poll(() => adapter.texts('fresh')).toEqual(['fresh']);
    expect(tries('fresh')).toEqual([false]);
    // A 429 is the platform saying no: the retry is not in doubt.
    adapter.rateLimited = 1;
    adapter.retryAfterMs = 50;
    await adapter.send('u1', 'limited', 'limited');
    await expect.poll(() => adapter.texts('limited')).toEqual(['limited']);
    expect(tries('limited')).toEqual([false, false]);
    // An unreachable platform (a timeout, a 5xx, a reset) may have taken the message: in doubt.
    adapter.down = true;
    await adapter.send('u1', 'unclear', 'unclear');
    await expect.poll(() => adapter.failures.filter((f) => f.kind === 'down').length).toBeGreaterThanOrEqual(1);
    adapter.down = false;
    await expect.poll(() => adapter.texts('unclear')).toEqual(['unclear']);
    expect(tries('unclear')[0]).toBe(false);
    expect(tries('unclear').at(-1)).toBe(true);
    // Queued before a restart: the new process cannot know whether the old one sent it.
    adapter.down = true;
    await adapter.send('u1', 'owed', 'owed');
    await expect.poll(() => adapter.failures.some((f) => f.kind === 'down' && tries('owed').length > 0)).toBe(true);
    const t2 = await t.restart();
    running.push(t2);
    adapter.down = false;
    await expect.poll(() => adapter.texts('owed')).toEqual(['owed']);
    // The new process's first attempt (its adapter started twice by then).
    const afterRestart = adapter.attempts.filter((a) => a.text === 'owed' && a.starts === 2);
    expect(afterRestart[0]?.uncertain).toBe(true);
    // A reply queued by the new process is not in doubt.
    await adapter.send('u1', 'fresh', 'after the restart');
    await expect.poll(() => adapter.texts('fresh')).toEqual(['fresh', 'after the restart']);
    expect(tries('after the restart')).toEqual([false]);
  });

  it('a command answer (notify) goes through the outbox: stored, held while the platform is down, delivered once after the reply before it', async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter);
    await adapter.send('u1', 'room', 'first');
    await expect.poll(() => adapter.texts('room')).toEqual(['first']);
    adapter.down = true;
    adapter.ctx!.notify({ conversationId: 'room' }, 'help text');
    expect(outboxRows(t).map((r) => [r.text, r.state])).toContainEqual(['help text', 'pending']);
    await expect.poll(() => adapter.failures.length).toBeGreaterThanOrEqual(1);
    adapter.down = false;
    await expect.poll(() => adapter.texts('room')).toEqual(['first', 'help text']);
    expect(outboxRows(t).every((r) => r.state === 'delivered')).toBe(true);
  });

  it("honours the platform's retry_after and gives up on a permanent refusal", async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter);
    adapter.rateLimited = 1;
    adapter.retryAfterMs = 400;
    await adapter.send('u1', 'room', 'slow down');
    await expect.poll(() => adapter.texts('room')).toEqual(['slow down']);
    const limited = adapter.failures.find((f) => f.kind === 'rate_limited')!;
    const row = outboxRows(t).find((r) => String(r.seq) === limited.deliveryId)!;
    expect(row).toMatchObject({ state: 'delivered', attempts: 2 });
    // Not retried before the platform said it may be.
    expect(row.next_attempt_at - limited.at).toBeGreaterThanOrEqual(400 - 5);

    adapter.refuse = 1;
    await adapter.send('u1', 'blocked', 'you blocked me');
    await expect.poll(() => outboxRows(t).find((r) => r.text === 'you blocked me')?.state).toBe('failed');
    expect(outboxRows(t).find((r) => r.text === 'you blocked me')!.attempts).toBe(1);
    expect(t.logs.some((l) => l.includes('refused by the platform'))).toBe(true);
  });

  it('splits a long reply at the platform limit', async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter);
    const words = Array.from({ length: 120 }, (_, i) => `word${i}`);
    t.fake.enqueue(turns.text(words.join(' ')));
    await adapter.send('u1', 'room', 'long please');
    await expect.poll(() => adapter.texts('room').join(' ').split(' ').length).toBe(words.length);
    for (const part of adapter.texts('room')) expect(part.length).toBeLessThanOrEqual(200);
    expect(adapter.texts('room').join(' ').split(' ')).toEqual(words);
  });

  it('allowlist: a stranger is refused before anything is stored; admins are always let in', async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter, { mode: 'allowlist', allow: ['friend'] }, { policy: { admins: ['loop:boss'] } });
    expect(await adapter.send('stranger', 'dm-s', 'hi')).toMatchObject({ status: 'refused', reason: 'not_allowed' });
    expect(t.gateway.db.prepare("SELECT COUNT(*) AS n FROM messages WHERE content = 'hi'").get()).toEqual({ n: 0 });
    expect(await adapter.send('friend', 'dm-f', 'hello')).toMatchObject({ status: 'admitted' });
    expect(await adapter.send('boss', 'dm-b', 'hello')).toMatchObject({ status: 'admitted' });
    expect(t.gateway.audit.list({ limit: 100 }).filter((e) => e.type === 'message-refused')).toMatchObject([{ actor: 'loop:stranger' }]);
  });

  it('pairing: an unknown user gets one code; `securesphere pairing approve CODE` lets them in', async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter, { mode: 'pairing' });
    expect(await adapter.send('newbie', 'dm', 'hi')).toMatchObject({ status: 'refused', reason: 'pairing_required' });
    expect(await adapter.send('newbie', 'dm', 'hi again')).toMatchObject({ status: 'refused', reason: 'pairing_required' });
    await expect.poll(() => adapter.texts('dm').length).toBe(1);
    const code = /pairing code is ([A-Z0-9]{8})/.exec(adapter.texts('dm')[0]!)![1]!;
    expect(t.fake.chatRequests).toHaveLength(0);

    const env = { SECURESPHERE_CONFIG: `${t.dataDir}/securesphere.yaml` };
    const listed = await runCli(['pairing', 'list'], env);
    expect(listed.stdout).toContain(`pending  ${code}  loop:newbie`);
    expect((await runCli(['pairing', 'approve', 'WRONGCDE'], env)).code).not.toBe(0);
    const approved = await runCli(['pairing', 'approve', code.toLowerCase()], env);
    expect(approved.stdout).toContain('Paired loop:newbie');
    expect(await adapter.send('newbie', 'dm', 'now?')).toMatchObject({ status: 'admitted' });
    await expect.poll(() => adapter.texts('dm').at(-1)).toBe('now?');
    // A code works once.
    expect((await runCli(['pairing', 'approve', code], env)).code).not.toBe(0);
  }, 60_000);

  it('in groups answers only when addressed, or in chats listed in config', async () => {
    const adapter = new LoopbackAdapter();
    await start(adapter, { mode: 'open', groupChats: ['team'] });
    expect(await adapter.send('u1', 'crowd', 'chatter', { chatType: 'group' })).toMatchObject({ status: 'refused', reason: 'not_addressed' });
    expect(await adapter.send('u1', 'crowd', '@bot hi', { chatType: 'group', addressedToBot: true })).toMatchObject({ status: 'admitted' });
    expect(await adapter.send('u1', 'team', 'anything', { chatType: 'group' })).toMatchObject({ status: 'admitted' });
    await expect.poll(() => [adapter.texts('crowd'), adapter.texts('team')]).toEqual([['@bot hi'], ['anything']]);
  });

  it('a channel that fails to start is reported and retried with back-off; the others run', async () => {
    const adapter = new LoopbackAdapter();
    adapter.failStarts = 2;
    // Long enough between attempts for the checks below to see the failed state.
    const t = await start(adapter, undefined, {}, { channelStartRetry: { baseMs: 1500, maxMs: 3000 } });
    const failed = t.gateway.channels.health().find((c) => c.name === 'loop')!;
    expect(failed).toMatchObject({ state: 'failed', connected: false, lastError: expect.stringContaining('bot token was rejected') });
    expect(failed.nextRetryAt).toBeDefined();
    expect(t.gateway.channels.health().find((c) => c.name === 'web')).toMatchObject({ state: 'running', connected: true });
    const health = await t.api('GET', '/api/health');
    expect(health.body.channels).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'loop', state: 'failed' })]));
    await expect.poll(() => t.gateway.channels.health().find((c) => c.name === 'loop')!.state, { timeout: 15_000 }).toBe('running');
    expect(adapter.failStarts).toBe(0);
  });

  it('keeps no secret and no text it no longer needs in the inbound table', async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    t.fake.enqueue(async () => {
      await gate;
      return turns.text('ok');
    });
    await adapter.send('u1', 'room', `my token is ${t.gateway.apiToken}`);
    const row = () => t.gateway.db.prepare('SELECT text, state FROM channel_inbound').get() as { text: string; state: string };
    expect(row().state).toBe('queued');
    expect(row().text).not.toContain(t.gateway.apiToken);
    expect(row().text).toContain('my token is');
    release();
    await expect.poll(() => row()).toEqual({ text: '', state: 'done' });
  });

  it('/new starts a fresh conversation at the same address; /status describes it', async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter);
    expect(await adapter.send('u1', 'room', 'first')).toMatchObject({ conversationKey: 'loop:room' });
    await expect.poll(() => adapter.texts('room')).toEqual(['first']);
    await adapter.ctx!.resetConversation({ conversationId: 'room' }, 'u1');
    expect(await adapter.send('u1', 'room', 'second')).toMatchObject({ conversationKey: 'loop:room#1' });
    await expect.poll(() => adapter.texts('room')).toEqual(['first', 'second']);
    // The model saw none of the old history.
    expect(t.fake.chatRequests.at(-1)!.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['second']);
    expect(await adapter.ctx!.statusText({ conversationId: 'room' }, 'u1')).toContain('loop:room#1');
    expect(t.gateway.audit.list({ limit: 100 }).filter((e) => e.type === 'conversation-reset')).toMatchObject([{ actor: 'loop:u1' }]);
  });

  it('/new and /status are refused to a user the channel does not let in (allowlist and unpaired pairing)', async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter, { mode: 'allowlist', allow: ['friend'] }, { policy: { admins: ['loop:boss'] } });
    expect(await adapter.send('friend', 'room', 'first')).toMatchObject({ conversationKey: 'loop:room' });
    await expect.poll(() => adapter.texts('room')).toEqual(['first']);
    await expect(adapter.ctx!.resetConversation({ conversationId: 'room' }, 'stranger')).rejects.toThrow(/may not start a new conversation/);
    expect(await adapter.ctx!.statusText({ conversationId: 'room' }, 'stranger')).not.toContain('loop:room');
    // The conversation was not reset: the friend's next message continues it.
    expect(await adapter.send('friend', 'room', 'second')).toMatchObject({ conversationKey: 'loop:room' });
    expect(t.gateway.audit.list({ limit: 100 }).filter((e) => e.type === 'conversation-reset-refused')).toMatchObject([{ actor: 'loop:stranger' }]);
    // Allowed users and admins may.
    expect(await adapter.ctx!.statusText({ conversationId: 'room' }, 'boss')).toContain('loop:room');
    await adapter.ctx!.resetConversation({ conversationId: 'room' }, 'friend');
    expect(await adapter.send('friend', 'room', 'third')).toMatchObject({ conversationKey: 'loop:room#1' });
  });

  it('/new by an unpaired user in pairing mode is refused and asks for no pairing code', async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter, { mode: 'pairing' });
    await expect(adapter.ctx!.resetConversation({ conversationId: 'dm' }, 'newbie')).rejects.toThrow(/may not start a new conversation/);
    expect(t.gateway.db.prepare('SELECT COUNT(*) AS n FROM channel_pairings').get()).toEqual({ n: 0 });
  });

  it('a channel that does not answer at start does not hold the gateway up', async () => {
    const adapter = new LoopbackAdapter();
    let release!: () => void;
    adapter.startGate = new Promise<void>((resolve) => (release = resolve));
    const t = await start(adapter, undefined, {}, { channelStartWaitMs: 50 });
    // The gateway listens and answers; the slow channel is still starting, the web page is up.
    expect((await t.api('GET', '/api/health')).body.channels).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'loop', state: 'starting', connected: false }), expect.objectContaining({ name: 'web', state: 'running' })]),
    );
    release();
    await expect.poll(() => t.gateway.channels.health().find((c) => c.name === 'loop')!.state).toBe('running');
  });

  it('drops malformed events with a log line', async () => {
    const adapter = new LoopbackAdapter();
    const t = await start(adapter);
    const result = await adapter.ctx!.receive({ conversationId: '', chatType: 'direct', senderId: 'u', senderName: 'u', text: 'x', time: new Date(), platformMessageId: 'p' });
    expect(result).toMatchObject({ status: 'refused', reason: 'invalid' });
    adapter.ctx!.dropMalformed('update without a message', { update_id: 7 });
    expect(t.logs.filter((l) => l.includes('malformed platform event dropped'))).toHaveLength(2);
  });
});
