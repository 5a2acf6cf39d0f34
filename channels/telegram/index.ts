// The Telegram channel's entry in the registry: its config schema, its access settings, and how
// its adapter is built (secret references resolved here, at build time). grammy is loaded only
// when the channel starts, so a gateway (or a CLI command) without Telegram never pays for it.
// Must never export a grammy type: the rest of the gateway sees only the channel contract.
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { accessFromSection, streamingFromSection } from '../access-config.js';
import type { ChannelAdapter, ChannelDefinition } from '../channel.js';
import type { TelegramAdapter, TelegramAdapterDeps } from './adapter.js';
import { telegramConfigSchema, type TelegramConfig } from './config.js';
import { TELEGRAM_TEXT_LIMIT } from './render.js';
import { registerWebhookRoute } from './webhook.js';

/** Builds the adapter on first start (importing grammy then); the webhook route exists from the beginning and answers 503 until then. */
export function createLazyTelegramAdapter(deps: TelegramAdapterDeps): ChannelAdapter {
  let inner: TelegramAdapter | undefined;
  const loaded = () => {
    if (!inner) throw new SecureSphereError(ERROR_CODES.CHANNEL_UNAVAILABLE, 'The Telegram channel has not started yet; the outbox retries.');
    return inner;
  };
  return {
    name: 'telegram',
    limits: { maxTextLength: TELEGRAM_TEXT_LIMIT, supportsEdit: true },
    async start(ctx) {
      inner ??= (await import('./adapter.js')).createTelegramAdapter(deps);
      await inner.start(ctx);
    },
    stop: async () => inner?.stop(),
    deliver: (message) => loaded().deliver(message),
    edit: (id, message) => loaded().edit(id, message),
    health: () => inner?.health() ?? { connected: false, details: { mode: deps.config.mode } },
    registerRoutes(app) {
      if (deps.config.mode !== 'webhook') return;
      registerWebhookRoute(app, { path: deps.config.webhook.path, secret: () => inner?.webhookSecret(), handle: (update) => loaded().handleWebhookUpdate(update), logger: deps.logger });
    },
  };
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
