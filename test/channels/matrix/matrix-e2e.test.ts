// The Matrix channel end to end on a real Synapse, beyond the shared contract: invites (an
// allowed user's joined, an outsider's declined and never reaching the model), a reply related to
// the user's message, reaction approvals (a stranger's ✅ does nothing, the requester's runs the
// step once and the prompt is edited with m.replace), an encrypted room (the user's encrypted
// message answered with an encrypted reply the user decrypts), and a real `securesphere start`
// child killed with SIGKILL: a message sent while it is down is answered once after the
// restart (the same device: a password login keeps its session and crypto store), and older
// messages are not answered again.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeOllama, turns, type FakeOllama } from '../../fakes/ollama-server.js';
import { openSession, whoAmI } from '../../../channels/matrix/session.js';
import { describeSynapse, startSynapse, type MatrixUser, type Synapse } from '../../helpers/synapse.js';
import { startGatewayProcess, type GatewayProcess } from '../contract/gateway-process.js';
import { botMessages, startTestUser, type TestUser } from './matrix-users.js';

const APPROVAL_KEY = 'org.securesphere.approval_id';

describeSynapse('matrix channel end to end on a real Synapse', () => {
  let synapse: Synapse;
  let fake: FakeOllama;
  let gateway: GatewayProcess;
  let dataDir: string;
  let bot: MatrixUser;
  let alice: TestUser;
  let mallory: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    synapse = await startSynapse();
    bot = await synapse.register('bot');
    alice = await startTestUser(synapse, await synapse.register('alice'), { crypto: true });
    mallory = await startTestUser(synapse, await synapse.register('mallory'));
    outsider = await startTestUser(synapse, await synapse.register('outsider'));
    fake = await startFakeOllama();
    dataDir = mkdtempSync(join(tmpdir(), 'securesphere-matrix-e2e-'));
    gateway = await startGatewayProcess({
      dataDir,
      fake,
      env: { MATRIX_PASSWORD: bot.password },
      config: {
        channels: {
          matrix: { homeserver_url: synapse.url, user_id: bot.userId, password: '${env:MATRIX_PASSWORD}', access: 'allowlist', allow: [alice.userId], encryption: true },
        },
      },
    });
    await waitForChannel();
  }, 120_000);

  afterAll(async () => {
    for (const user of [alice, mallory, outsider]) await user?.stop();
    await gateway?.close();
    await fake?.close();
    await synapse?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function waitForChannel(): Promise<{ details?: Record<string, unknown> }> {
    // A plain loop: it also runs in beforeAll, where expect.poll is not available.
    for (let i = 0; i < 600; i++) {
      const health = await gateway.api('GET', '/api/health');
      const mine = (health.body.channels as Array<{ name: string; state: string; connected: boolean; details?: Record<string, unknown> }>).find((c) => c.name === 'matrix');
      if (mine?.state === 'running' && mine.connected) return mine;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the matrix channel did not start: ${gateway.logs().slice(-2000)}`);
  }

  const replies = (roomId: string) => botMessages(alice, roomId, bot.userId).filter((m) => m.content[APPROVAL_KEY] === undefined);
  const replyTexts = (roomId: string) => replies(roomId).map((m) => String(m.content.body));

  async function roomWithBot(options: { encrypted?: boolean; invite?: string[] } = {}): Promise<string> {
    const roomId = await alice.createRoom({ invite: [bot.userId, ...(options.invite ?? [])], ...(options.encrypted ? { encrypted: true } : {}) });
    await expect.poll(() => alice.membership(roomId, bot.userId), { timeout: 30_000 }).toBe('join');
    return roomId;
  }

  it('keeps the session token in the data dir readable only by the gateway; the SDK logs only through the gateway logger', () => {
    expect(statSync(join(dataDir, 'matrix', 'session.json')).mode & 0o777).toBe(0o600);
    expect(gateway.logs()).not.toContain(bot.password);
    // Every line the process wrote is the gateway's JSON log (no SDK console output), and SDK lines are among them.
    const lines = gateway.logs().split('\n').filter((l) => l.trim() !== '');
    const parsed = lines.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return { unparsed: l };
      }
    });
    expect(parsed.filter((p) => 'unparsed' in p)).toEqual([]);
    expect(parsed.some((p) => typeof p.sdk === 'string')).toBe(true);
  });

  it('exchanges a password for a token once and reuses it (the same device); a fresh device (an empty crypto store) logs the old one out', async () => {
    const account = await synapse.register('pwuser');
    const stateDir = mkdtempSync(join(tmpdir(), 'securesphere-matrix-session-'));
    try {
      const options = { homeserver: synapse.url, userId: account.userId, credential: { password: account.password }, stateDir, deviceName: 'test' };
      const first = await openSession(options);
      expect(statSync(join(stateDir, 'session.json')).mode & 0o777).toBe(0o600);
      expect(first.newDevice).toBe(true);
      const again = await openSession(options);
      expect(again).toEqual({ accessToken: first.accessToken, deviceId: first.deviceId });
      const fresh = await openSession({ ...options, freshDevice: true });
      expect(fresh.deviceId).not.toBe(first.deviceId);
      expect(fresh.newDevice).toBe(true);
      await expect(whoAmI(synapse.url, first.accessToken)).rejects.toThrow(/refused/);
      expect((await whoAmI(synapse.url, fresh.accessToken)).deviceId).toBe(fresh.deviceId);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('answers a message in a thread inside the thread', async () => {
    const roomId = await roomWithBot();
    const root = await alice.send(roomId, { msgtype: 'm.text', body: 'thread root' });
    await expect.poll(() => replyTexts(roomId), { timeout: 30_000 }).toContain('thread root');
    const inThread = await alice.send(roomId, { msgtype: 'm.text', body: 'inside the thread', 'm.relates_to': { rel_type: 'm.thread', event_id: root, is_falling_back: true, 'm.in_reply_to': { event_id: root } } });
    await expect.poll(() => replyTexts(roomId), { timeout: 30_000 }).toContain('inside the thread');
    const reply = replies(roomId).find((m) => m.content.body === 'inside the thread')!;
    expect(reply.content['m.relates_to']).toEqual({ rel_type: 'm.thread', event_id: root, is_falling_back: true, 'm.in_reply_to': { event_id: inThread } });
  });

  it('does not answer messages from before it joined; answers the next one', async () => {
    const roomId = await alice.createRoom({ invite: [] });
    await alice.send(roomId, { msgtype: 'm.text', body: 'said before the bot came' });
    await alice.client.invite(roomId, bot.userId);
    await expect.poll(() => alice.membership(roomId, bot.userId), { timeout: 30_000 }).toBe('join');
    await alice.send(roomId, { msgtype: 'm.text', body: 'said after it joined' });
    await expect.poll(() => replyTexts(roomId), { timeout: 30_000 }).toContain('said after it joined');
    expect(replyTexts(roomId)).toEqual(['said after it joined']);
  });

  it('shows typing while the model works, and stops with the reply', async () => {
    const roomId = await roomWithBot();
    fake.enqueue(turns.delay(2000, turns.text('thought about it')));
    await alice.send(roomId, { msgtype: 'm.text', body: 'think slowly' });
    const typing = () => alice.client.getRoom(roomId)?.getMember(bot.userId)?.typing ?? false;
    await expect.poll(typing, { timeout: 30_000 }).toBe(true);
    await expect.poll(() => replyTexts(roomId), { timeout: 30_000 }).toContain('thought about it');
    await expect.poll(typing, { timeout: 30_000 }).toBe(false);
  });

  it("joins an allowed user's invite; declines an outsider's, whose words never reach the model", async () => {
    const allowed = await roomWithBot();
    expect(allowed).toMatch(/^!/);
    const before = fake.chatRequests.length;
    const refused = await outsider.createRoom({ invite: [bot.userId] });
    await expect.poll(() => outsider.membership(refused, bot.userId), { timeout: 30_000 }).toBe('leave');
    await outsider.send(refused, { msgtype: 'm.text', body: 'outsider speaking' }).catch(() => undefined);
    // Alice's next message is answered; the outsider's never reached the model.
    await alice.send(allowed, { msgtype: 'm.text', body: 'after the outsider' });
    await expect.poll(() => replyTexts(allowed), { timeout: 30_000 }).toContain('after the outsider');
    expect(fake.chatRequests.slice(before).some((r) => r.messages.some((m) => m.content.includes('outsider speaking')))).toBe(false);
  });

  it("answers in the room as a reply to the user's message, with escaped HTML where formatting helps", async () => {
    const roomId = await roomWithBot();
    fake.enqueue(turns.text('run `<b>ls</b>` now'));
    const asked = await alice.send(roomId, { msgtype: 'm.text', body: 'how do I list files?' });
    await expect.poll(() => replies(roomId).length, { timeout: 30_000 }).toBe(1);
    const reply = replies(roomId)[0]!.content;
    expect(reply).toMatchObject({ msgtype: 'm.text', body: 'run `<b>ls</b>` now', format: 'org.matrix.custom.html', formatted_body: 'run <code>&lt;b&gt;ls&lt;/b&gt;</code> now' });
    expect(reply['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: asked } });
  });

  it("decides by the reacting user's identity: a stranger's ✅ does nothing, the requester's runs the step once and edits the prompt", async () => {
    const roomId = await roomWithBot({ invite: [mallory.userId] });
    await mallory.join(roomId);
    fake.enqueue(turns.toolCall('calc_wipe', { target: 'tmp' }), (req) => {
      const tool = [...req.messages].reverse().find((m) => m.role === 'tool');
      return turns.text(`wipe finished: ${tool?.content.includes('"done"') ? 'ran' : 'did not run'}`);
    });
    await alice.send(roomId, { msgtype: 'm.text', body: 'wipe tmp please', 'm.mentions': { user_ids: [bot.userId] } });
    await expect.poll(() => botMessages(alice, roomId, bot.userId).find((m) => m.content[APPROVAL_KEY]), { timeout: 30_000 }).toBeTruthy();
    const prompt = botMessages(alice, roomId, bot.userId).find((m) => m.content[APPROVAL_KEY])!;
    const approvalId = String(prompt.content[APPROVAL_KEY]);
    expect(String(prompt.content.body)).toMatch(/React ✅ to approve or ❌ to deny/);
    expect(String(prompt.content.body)).toContain(`/approve ${approvalId}`);

    await mallory.react(roomId, prompt.id, '✅');
    // The stranger is told once that they may not decide; the request stays pending.
    await expect.poll(() => alice.events(roomId).some((e) => e.sender === bot.userId && /may not/i.test(String(e.content.body))), { timeout: 30_000 }).toBe(true);
    expect((await gateway.api('GET', `/api/approvals/${approvalId}`)).body.approval.status).toBe('pending');

    await alice.react(roomId, prompt.id, '✅');
    await expect.poll(() => replyTexts(roomId), { timeout: 30_000 }).toContain('wipe finished: ran');
    const approval = (await gateway.api('GET', `/api/approvals/${approvalId}`)).body.approval;
    expect(approval).toMatchObject({ status: 'approved', decided_by: `matrix:${alice.userId}` });
    const edits = alice.events(roomId).filter((e) => (e.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined)?.event_id === prompt.id && (e.content['m.relates_to'] as { rel_type?: string }).rel_type === 'm.replace');
    expect(edits.length).toBeGreaterThanOrEqual(1);
    expect(String((edits.at(-1)!.content['m.new_content'] as { body: string }).body)).toMatch(/^Approved by matrix:@alice:ss\.test/m);
    // A second reaction (❌ now) changes nothing: the step ran once.
    await alice.react(roomId, prompt.id, '❌');
    await alice.send(roomId, { msgtype: 'm.text', body: 'anything else?', 'm.mentions': { user_ids: [bot.userId] } });
    await expect.poll(() => replyTexts(roomId), { timeout: 30_000 }).toContain('anything else?');
    expect(replyTexts(roomId).filter((t) => t === 'wipe finished: ran')).toHaveLength(1);
    expect((await gateway.api('GET', `/api/approvals/${approvalId}`)).body.approval.status).toBe('approved');
  });

  it('takes a typed /approve ID from the requester as the decision and edits the prompt', async () => {
    const roomId = await roomWithBot();
    fake.enqueue(turns.toolCall('calc_wipe', { target: 'logs' }), turns.text('typed approval done'));
    await alice.send(roomId, { msgtype: 'm.text', body: 'wipe logs' });
    await expect.poll(() => botMessages(alice, roomId, bot.userId).find((m) => m.content[APPROVAL_KEY]), { timeout: 30_000 }).toBeTruthy();
    const prompt = botMessages(alice, roomId, bot.userId).find((m) => m.content[APPROVAL_KEY])!;
    const approvalId = String(prompt.content[APPROVAL_KEY]);
    await alice.send(roomId, { msgtype: 'm.text', body: `/approve ${approvalId}` });
    await expect.poll(() => replyTexts(roomId), { timeout: 30_000 }).toContain('typed approval done');
    expect((await gateway.api('GET', `/api/approvals/${approvalId}`)).body.approval).toMatchObject({ status: 'approved', decided_by: `matrix:${alice.userId}` });
    await expect.poll(() => String(botMessages(alice, roomId, bot.userId).find((m) => m.id === prompt.id)?.content.body), { timeout: 30_000 }).toMatch(/^Approved by matrix:@alice:ss\.test/m);
  });

  it("answers an encrypted message with an encrypted reply the user decrypts", async () => {
    const roomId = await roomWithBot({ encrypted: true });
    await alice.send(roomId, { msgtype: 'm.text', body: 'a secret hello' });
    await expect.poll(() => replyTexts(roomId), { timeout: 60_000 }).toContain('a secret hello');
    const sent = alice.events(roomId).filter((e) => e.sender === bot.userId && e.type === 'm.room.message');
    expect(sent.length).toBeGreaterThan(0);
    for (const event of sent) expect(event.encrypted).toBe(true);
  });

  it('killed with SIGKILL: a message sent while down is answered once after the restart; older ones are not answered again', async () => {
    const roomId = await roomWithBot();
    await alice.send(roomId, { msgtype: 'm.text', body: 'before the kill' });
    await expect.poll(() => replyTexts(roomId), { timeout: 30_000 }).toContain('before the kill');
    const before = await waitForChannel();
    await gateway.kill();
    await alice.send(roomId, { msgtype: 'm.text', body: 'while you were down' });
    const asked = fake.chatRequests.length;
    await gateway.restart();
    // The password login goes on with its stored session: the same device, whose keys are in the crypto store.
    const after = await waitForChannel();
    expect(after.details).toMatchObject({ device: before.details?.device, crypto_store: 'persistent' });
    await expect.poll(() => replyTexts(roomId), { timeout: 60_000 }).toContain('while you were down');
    await alice.send(roomId, { msgtype: 'm.text', body: 'and after' });
    await expect.poll(() => replyTexts(roomId).at(-1), { timeout: 30_000 }).toBe('and after');
    expect(replyTexts(roomId)).toEqual(['before the kill', 'while you were down', 'and after']);
    expect(fake.chatRequests.length - asked).toBe(2);
    // Encryption works after the restart too (the same device: its keys are in the crypto store).
    const secret = await roomWithBot({ encrypted: true });
    await alice.send(secret, { msgtype: 'm.text', body: 'encrypted after the restart' });
    await expect.poll(() => replyTexts(secret), { timeout: 60_000 }).toContain('encrypted after the restart');
    expect(alice.events(secret).filter((e) => e.sender === bot.userId && e.type === 'm.room.message').every((e) => e.encrypted)).toBe(true);
    expect(gateway.logs()).not.toMatch(/already exists/);
  }, 120_000);

  it("a password login whose stored session is gone: a new device, the crypto store starts over for it, encryption works", async () => {
    const before = await waitForChannel();
    await gateway.kill();
    rmSync(join(dataDir, 'matrix', 'session.json'));
    await gateway.restart();
    const after = await waitForChannel();
    expect(after.details?.device).not.toBe(before.details?.device);
    expect(after.details).toMatchObject({ crypto_store: 'persistent' });
    expect(gateway.logs()).toMatch(/the crypto store held an earlier device of this bot whose session is gone/);
    const secret = await roomWithBot({ encrypted: true });
    await alice.send(secret, { msgtype: 'm.text', body: 'encrypted for the new device' });
    await expect.poll(() => replyTexts(secret), { timeout: 60_000 }).toContain('encrypted for the new device');
    expect(alice.events(secret).filter((e) => e.sender === bot.userId && e.type === 'm.room.message').every((e) => e.encrypted)).toBe(true);
  }, 120_000);

  it("printed nothing on stdout across the whole run but the CLI's own lines (no SDK console output, e.g. its child loggers)", () => {
    const foreign = gateway
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '' && !/^(securesphere listening on |model: |API token )/.test(l));
    expect(foreign).toEqual([]);
    expect(gateway.output()).toMatch(/^securesphere listening on /m);
  });
});
