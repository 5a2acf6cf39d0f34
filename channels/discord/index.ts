// The Discord channel's entry in the registry: its config schema, its access settings, and how
// its adapter is built (the bot token resolved here, at build time). Must never export a
// discord.js type: the rest of the gateway sees only the channel contract.
import { accessFromSection, streamingFromSection } from '../access-config.js';
import type { ChannelDefinition } from '../channel.js';
import { createDiscordAdapter } from './adapter.js';
import { discordConfigSchema, type DiscordConfig } from './config.js';

export const discordChannel: ChannelDefinition<DiscordConfig> = {
  name: 'discord',
  configSchema: discordConfigSchema,
  access: (config) => accessFromSection(config),
  streaming: (config) => streamingFromSection(config),
  create(config, deps) {
    const token = deps.resolveSecret(config.token, 'channels.discord.token');
    return createDiscordAdapter({ config, token, logger: deps.logger });
  },
};

export { discordConfigSchema, type DiscordConfig } from './config.js';
