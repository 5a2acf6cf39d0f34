// The Discord channel's entry in the registry: its config schema, its access settings, and how
// its adapter is built (the bot token resolved here, at build time; discord.js loads on start). Must never export a
// discord.js type: the rest of the gateway sees only the channel contract.
import { accessFromSection, streamingFromSection } from '../access-config.js';
import type { ChannelDefinition } from '../channel.js';
import { createLazyAdapter } from '../lazy-adapter.js';
import { discordConfigSchema, type DiscordConfig } from './config.js';
import { DISCORD_TEXT_LIMIT } from './render.js';

export const discordChannel: ChannelDefinition<DiscordConfig> = {
  name: 'discord',
  configSchema: discordConfigSchema,
  access: (config) => accessFromSection(config),
  streaming: (config) => streamingFromSection(config),
  create(config, deps) {
    const token = deps.resolveSecret(config.token, 'channels.discord.token');
    // discord.js (~500 modules) loads on the first start, never in a gateway without Discord.
    return createLazyAdapter({
      name: 'discord',
      limits: { maxTextLength: DISCORD_TEXT_LIMIT, supportsEdit: true },
      load: async () => (await import('./adapter.js')).createDiscordAdapter({ config, token, logger: deps.logger }),
    });
  },
};

export { discordConfigSchema, type DiscordConfig } from './config.js';
