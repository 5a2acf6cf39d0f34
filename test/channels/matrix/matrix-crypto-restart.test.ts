// End-to-end encryption across restarts with a FIXED access token (one device for good), on a
// real Synapse and a real `securesphere start` child: the crypto store lives in
// <data_dir>/matrix/crypto-store.db (0600), so after a clean stop (SIGTERM) and after a kill
// (SIGKILL) the same device still decrypts: a test user's encrypted message sent while the
// gateway was down and one sent after the restart are each answered once with an encrypted
// reply the user decrypts, and earlier messages are not answered again. A different access
// token (another device) on the same data dir gets a clear error in the log and no crypto,
// while the channel keeps running (no crash loop) and plain rooms still work.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChannelHealth } from '../../../channels/channel.js';
import { startFakeOllama, type FakeOllama } from '../../fakes/ollama-server.js';
import { describeSynapse, startSynapse, type MatrixUser, type Synapse } from '../../helpers/synapse.js';
import { startGatewayProcess, type GatewayProcess } from '../contract/gateway-process.js';
import { botMessages, startTestUser, type TestUser } from './matrix-users.js';

describeSynapse('matrix end-to-end encryption across restarts with a fixed access token', () => {
  let synapse: Synapse;
  let fake: FakeOllama;
  let gateway: GatewayProcess;
  let dataDir: string;
  let bot: MatrixUser;
  let alice: TestUser;

  const gatewayWithToken = (token: string) =>
    startGatewayProcess({
      dataDir,
      fake,
      env: { MATRIX_ACCESS_TOKEN: token },
      config: { channels: { matrix: { homeserver_url: synapse.url, user_id: bot.userId, access_token: '${env:MATRIX_ACCESS_TOKEN}', access: 'allowlist', allow: [alice.userId], encryption: true } } },
    });

  beforeAll(async () => {
    synapse = await startSynapse();
    bot = await synapse.register('bot');
    alice = await startTestUser(synapse, await synapse.register('alice'), { crypto: true });
    fake = await startFakeOllama();
    dataDir = mkdtempSync(join(tmpdir(), 'securesphere-matrix-crypto-'));
    gateway = await gatewayWithToken(bot.accessToken);
  }, 120_000);

  afterAll(async () => {
    await alice?.stop();
    await gateway?.close();
    await fake?.close();
    await synapse?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function matrixHealth(): Promise<ChannelHealth | undefined> {
    const health = await gateway.api('GET', '/api/health');
    return (health.body.channels as ChannelHealth[]).find((c) => c.name === 'matrix');
  }

  async function waitForChannel(): Promise<ChannelHealth> {
    for (let i = 0; i < 600; i++) {
      const mine = await matrixHealth();
      if (mine?.state === 'running' && mine.connected) return mine;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the matrix channel did not start: ${gateway.logs().slice(-2000)}`);
  }

  const replyTexts = (roomId: string) => botMessages(alice, roomId, bot.userId).map((m) => String(m.content.body));
  const botEvents = (roomId: string) => alice.events(roomId).filter((e) => e.sender === bot.userId && e.type === 'm.room.message');

  async function encryptedRoom(): Promise<string> {
    const roomId = await alice.createRoom({ invite: [bot.userId], encrypted: true });
    await expect.poll(() => alice.membership(roomId, bot.userId), { timeout: 30_000 }).toBe('join');
    return roomId;
  }

  it('keeps the device keys: after a clean stop and after a kill, messages sent while down and after are each answered once, encrypted', async () => {
    const first = await waitForChannel();
    expect(first.details).toMatchObject({ device: bot.deviceId, crypto_store: 'persistent' });
    expect(statSync(join(dataDir, 'matrix', 'crypto-store.db')).mode & 0o777).toBe(0o600);

    const roomId = await encryptedRoom();
    await alice.send(roomId, { msgtype: 'm.text', body: 'secret before the stop' });
    await expect.poll(() => replyTexts(roomId), { timeout: 60_000 }).toContain('secret before the stop');

    for (const [how, down, after] of [
      ['stop', 'secret while stopped', 'secret after the stop'],
      ['kill', 'secret while killed', 'secret after the kill'],
    ] as const) {
      const asked = fake.chatRequests.length;
      await (how === 'stop' ? gateway.stop() : gateway.kill());
      await alice.send(roomId, { msgtype: 'm.text', body: down });
      await gateway.restart();
      const again = await waitForChannel();
      expect(again.details).toMatchObject({ device: bot.deviceId, crypto_store: 'persistent' });
      await expect.poll(() => replyTexts(roomId), { timeout: 60_000 }).toContain(down);
      await alice.send(roomId, { msgtype: 'm.text', body: after });
      await expect.poll(() => replyTexts(roomId).at(-1), { timeout: 60_000 }).toBe(after);
      expect(fake.chatRequests.length - asked).toBe(2);
    }
    expect(replyTexts(roomId)).toEqual(['secret before the stop', 'secret while stopped', 'secret after the stop', 'secret while killed', 'secret after the kill']);
    // Every reply was encrypted, and alice decrypted each one (its body is the model's text).
    expect(botEvents(roomId)).toHaveLength(5);
    expect(botEvents(roomId).every((e) => e.encrypted)).toBe(true);
    expect(gateway.logs()).not.toMatch(/already has end-to-end keys|does not open|already exists/);
  }, 240_000);

  it('with another access token (another device) on the same data dir: a clear error, no crypto, the channel keeps running', async () => {
    const res = await fetch(`${synapse.url}/_matrix/client/v3/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: bot.userId }, password: bot.password }),
    });
    const other = (await res.json()) as { access_token: string; device_id: string };
    expect(other.device_id).not.toBe(bot.deviceId);
    await gateway.stop();
    gateway = await gatewayWithToken(other.access_token);
    const health = await waitForChannel();
    expect(health.details).toMatchObject({ device: other.device_id, crypto_store: 'unavailable' });
    await expect.poll(() => gateway.logs(), { timeout: 10_000 }).toMatch(new RegExp(`the crypto store does not open for device ${other.device_id}`));
    expect(gateway.logs()).toMatch(/Go back to the earlier access token/);

    const plain = await alice.createRoom({ invite: [bot.userId] });
    await expect.poll(() => alice.membership(plain, bot.userId), { timeout: 30_000 }).toBe('join');
    await alice.send(plain, { msgtype: 'm.text', body: 'plain still works' });
    await expect.poll(() => replyTexts(plain), { timeout: 30_000 }).toContain('plain still works');
    expect((await matrixHealth())?.state).toBe('running');
  }, 120_000);
});
