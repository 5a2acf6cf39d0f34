// The Telegram channel's entry in the registry: its config schema, its access settings, and how
// its adapter is built (secret references resolved here, at build time). grammy is loaded only
// when the channel starts, so a gateway (or a CLI command) without Telegram never pays for it.
// Must never export a grammy type: the rest of the gateway sees only the channel contract.
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { accessFromSection, streamingFromSection } from '../access-config.js';
import type { ChannelAdapter, ChannelDefinition } from '../channel.js';
import { createLazyAdapter } from '../lazy-adapter.js';
import type { TelegramAdapter, TelegramAdapterDeps } from './adapter.js';
import { telegramConfigSchema, type TelegramConfig } from './config.js';
import { TELEGRAM_TEXT_LIMIT } from './render.js';
import { registerWebhookRoute } from './webhook.js';

/** Builds the adapter on first start (importing grammy then); the webhook route exists from the beginning and answers 503 until then. */
export function createLazyTelegramAdapter(deps: TelegramAdapterDeps): ChannelAdapter {
  const lazy = createLazyAdapter({
    name: 'telegram',
    limits: { maxTextLength: TELEGRAM_TEXT_LIMIT, supportsEdit: true },
    load: async () => (await import('./adapter.js')).createTelegramAdapter(deps),
    idleHealth: () => ({ connected: false, details: { mode: deps.config.mode } }),
    registerRoutes(app) {
      if (deps.config.mode !== 'webhook') return;
      registerWebhookRoute(app, { path: deps.config.webhook.path, secret: () => started()?.webhookSecret(), handle: (update) => running().handleWebhookUpdate(update), logger: deps.logger });
    },
  });
  const started = () => lazy.loaded() as TelegramAdapter | undefined;
  const running = () => {
    const inner = started();
    if (!inner) throw new SecureSphereError(ERROR_CODES.CHANNEL_UNAVAILABLE, 'The Telegram channel has not started yet; the update is not taken (Telegram sends it again).');
    return inner;
  };
  return lazy;
}

export const telegramChannel: ChannelDefinition<TelegramConfig> = {
  name: 'telegram',
  configSchema: telegramConfigSchema,
  access: (config) => accessFromSection(config),
  streaming: (config) => streamingFromSection(config),
  create(config, deps) {
    const token = deps.resolveSecret(config.token, 'channels.telegram.token');
    const webhookSecret = config.webhook.secret ? deps.resolveSecret(config.webhook.secret, 'channels.telegram.webhook.secret') : undefined;
    return createLazyTelegramAdapter({ config, token, ...(webhookSecret ? { webhookSecret } : {}), logger: deps.logger });
  },
};

export { telegramConfigSchema, type TelegramConfig } from './config.js';
