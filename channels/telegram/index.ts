// The Telegram channel's entry in the registry: its config schema, its access settings, and how
// its adapter is built (secret references resolved here, at build time). Must never export a
// grammy type: the rest of the gateway sees only the channel contract.
import { accessFromSection } from '../access-config.js';
import type { ChannelDefinition } from '../channel.js';
import { createTelegramAdapter } from './adapter.js';
import { telegramConfigSchema, type TelegramConfig } from './config.js';

export const telegramChannel: ChannelDefinition<TelegramConfig> = {
  name: 'telegram',
  configSchema: telegramConfigSchema,
  access: (config) => accessFromSection(config),
  create(config, deps) {
    const token = deps.resolveSecret(config.token, 'channels.telegram.token');
    const webhookSecret = config.webhook.secret ? deps.resolveSecret(config.webhook.secret, 'channels.telegram.webhook.secret') : undefined;
    return createTelegramAdapter({ config, token, ...(webhookSecret ? { webhookSecret } : {}), logger: deps.logger });
  },
};

export { telegramConfigSchema, type TelegramConfig } from './config.js';
