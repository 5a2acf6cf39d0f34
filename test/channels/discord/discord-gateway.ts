// Starts a whole gateway in-process with the Discord channel configured (through the registry and
// the real config loader, the token as an ${env:} reference) against the Discord stand-in.
// Alice and Bob are allowlisted, Bob is an approver, Mallory is a stranger; one guild with a
// #general channel, slash commands registered in it.
import { startFakeDiscord, waitFor, type FakeDiscord } from '../../fakes/discord.js';
import type { GatewayOptions } from '../../../src/gateway.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

export const ALICE = '200000000000000001';
export const BOB = '200000000000000002';
export const MALLORY = '200000000000000003';

export interface DiscordGateway {
  t: TestGateway;
  discord: FakeDiscord;
  guildId: string;
  general: string;
  health(): ReturnType<TestGateway['gateway']['channels']['health']>[number] | undefined;
  close(): Promise<void>;
}

export async function startDiscordGateway(
  options: { section?: Record<string, unknown>; config?: Record<string, unknown>; gatewayOptions?: Partial<GatewayOptions> } = {},
): Promise<DiscordGateway> {
  const discord = await startFakeDiscord();
  const { guildId, channelId } = discord.addGuild('home');
  const t = await startTestGateway({
    config: {
      policy: { approvers: [`discord:${BOB}`] },
      channels: {
        discord: { token: '${env:DISCORD_BOT_TOKEN}', api_url: discord.apiUrl, guild_ids: [guildId], access: 'allowlist', allow: [ALICE, BOB], ...(options.section ?? {}) },
      },
      ...(options.config ?? {}),
    },
    env: { DISCORD_BOT_TOKEN: discord.token },
    gatewayOptions: { outboxRetry: { baseMs: 50, maxMs: 500 }, channelStartRetry: { baseMs: 100, maxMs: 1000 }, ...(options.gatewayOptions ?? {}) },
  });
  const health = () => t.gateway.channels.health().find((c) => c.name === 'discord');
  await waitFor(() => (health()?.state === 'running' ? true : undefined), 20_000, 'the discord channel to run');
  return {
    t,
    discord,
    guildId,
    general: channelId,
    health,
    async close() {
      await t.close();
      await discord.close();
    },
  };
}
