// The Discord channel across a real kill: a `securesphere start` child process with discord.js
// inside is SIGKILLed; messages sent while it is down (a DM and a guild mention) reach no
// session, so after the restart the adapter reads them from each active conversation's history
// (after the last message the gateway stored) and answers each exactly once; messages answered
// before the kill are not answered again, also when Discord delivers one of them again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDiscord, waitFor, type FakeDiscord } from '../../fakes/discord.js';
import { startFakeOllama, type FakeOllama } from '../../fakes/ollama-server.js';
import { startGatewayProcess, type GatewayProcess } from '../contract/gateway-process.js';

const ALICE = '300000000000000001';

describe('Discord channel across SIGKILL', () => {
  let discord: FakeDiscord;
  let fake: FakeOllama;
  let gateway: GatewayProcess;
  let dataDir: string;
  let guild: { guildId: string; channelId: string };

  async function running(): Promise<boolean> {
    const health = await gateway.api('GET', '/api/health');
    return (health.body.channels as Array<{ name: string; state: string; connected: boolean }> | undefined)?.some((c) => c.name === 'discord' && c.state === 'running' && c.connected) ?? false;
  }

  async function waitRunning(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!(await running())) {
      if (Date.now() > deadline) throw new Error('the discord channel did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    discord = await startFakeDiscord();
    guild = discord.addGuild('home');
    fake = await startFakeOllama();
    dataDir = mkdtempSync(join(tmpdir(), 'securesphere-discord-kill-'));
    gateway = await startGatewayProcess({
      dataDir,
      fake,
      env: { DISCORD_BOT_TOKEN: discord.token },
      config: { channels: { discord: { token: '${env:DISCORD_BOT_TOKEN}', api_url: discord.apiUrl, guild_ids: [guild.guildId], access: 'allowlist', allow: [ALICE] } } },
    });
    await waitRunning();
  }, 90_000);

  afterAll(async () => {
    await gateway?.close();
    await discord?.close();
    await fake?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers messages sent while the gateway was killed once after the restart, and nothing twice', async () => {
    const dm = discord.dmChannel(ALICE);
    const before = discord.sendMessage({ user: ALICE, channelId: dm, content: 'before the kill' });
    discord.sendMessage({ user: ALICE, channelId: guild.channelId, content: 'guild before', mentionBot: true });
    await expect.poll(() => discord.botMessages(dm).map((m) => m.content), { timeout: 20_000 }).toEqual(['before the kill']);
    await expect.poll(() => discord.botMessages(guild.channelId).map((m) => m.content), { timeout: 20_000 }).toEqual(['guild before']);

    await gateway.kill();
    await waitFor(() => (discord.gateway.connected() ? undefined : true), 10_000, 'the socket to close');
    discord.sendMessage({ user: ALICE, channelId: dm, content: 'while it was down' });
    discord.sendMessage({ user: ALICE, channelId: guild.channelId, content: 'chatter while down' });
    discord.sendMessage({ user: ALICE, channelId: guild.channelId, content: 'guild while down', mentionBot: true });
    const asked = fake.chatRequests.length;

    await gateway.restart();
    await waitRunning();
    await expect.poll(() => discord.botMessages(dm).map((m) => m.content), { timeout: 30_000 }).toEqual(['before the kill', 'while it was down']);
    await expect.poll(() => discord.botMessages(guild.channelId).map((m) => m.content), { timeout: 30_000 }).toEqual(['guild before', 'guild while down']);
    expect(discord.gateway.stats.identifies).toBe(2);

    // Discord delivering an old message again after the restart is recognised from the store.
    discord.redeliver(before);
    discord.sendMessage({ user: ALICE, channelId: dm, content: 'after the restart' });
    await expect.poll(() => discord.botMessages(dm).map((m) => m.content), { timeout: 20_000 }).toEqual(['before the kill', 'while it was down', 'after the restart']);
    expect(fake.chatRequests.length - asked).toBe(3);
    expect(fake.chatRequests.slice(asked).some((r) => r.messages.at(-1)?.content === 'chatter while down')).toBe(false);
  }, 120_000);
});
