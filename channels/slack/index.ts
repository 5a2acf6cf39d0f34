// The Slack channel's entry in the registry: its config schema, its access settings, and how its
// adapter is built (the bot token, app token and signing secret resolved here, at build time,
// only those the chosen mode needs). Must never export a Slack SDK type, nor import one: the
// gateway imports this file whether or not Slack is configured (Bolt loads on start, lazy.ts).
import { accessFromSection, streamingFromSection } from '../access-config.js';
import type { ChannelDefinition } from '../channel.js';
import { slackConfigSchema, type SlackConfig } from './config.js';
import { createLazySlackAdapter } from './lazy.js';

export const slackChannel: ChannelDefinition<SlackConfig> = {
  name: 'slack',
  configSchema: slackConfigSchema,
  access: (config) => accessFromSection(config),
  streaming: (config) => streamingFromSection(config),
  create(config, deps) {
    const botToken = deps.resolveSecret(config.bot_token, 'channels.slack.bot_token');
    const appToken = config.mode === 'socket' && config.app_token ? deps.resolveSecret(config.app_token, 'channels.slack.app_token') : undefined;
    const signingSecret = config.mode === 'http' && config.signing_secret ? deps.resolveSecret(config.signing_secret, 'channels.slack.signing_secret') : undefined;
    return createLazySlackAdapter({ config, botToken, ...(appToken ? { appToken } : {}), ...(signingSecret ? { signingSecret } : {}), logger: deps.logger });
  },
};

export { slackConfigSchema, type SlackConfig } from './config.js';
