// The `channels.telegram` config section: bot token (a secret reference, never a literal), the
// Bot API base URL, polling or webhook mode, and the access keys every channel shares. Must
// never hold a resolved secret: references are resolved by the definition at build time.
import { z } from 'zod';
import { channelAccessSchema, secretReference as secretRef } from '../access-config.js';

export const telegramConfigSchema = channelAccessSchema.extend({
  /** The bot token from @BotFather: `${env:TELEGRAM_BOT_TOKEN}` or `vault:NAME`. */
  token: secretRef,
  /** The Bot API base URL, without a trailing slash (a local Bot API server works too). */
  api_root: z
    .url({ protocol: /^https?$/ })
    .refine((u) => !u.endsWith('/'), 'remove the trailing "/"')
    .default('https://api.telegram.org'),
  /** polling: the gateway asks Telegram for updates (works behind NAT); webhook: Telegram POSTs to the gateway. */
  mode: z.enum(['polling', 'webhook']).default('polling'),
  polling: z
    .strictObject({
      /** Seconds one getUpdates request waits for an update (Telegram's long-poll timeout). */
      timeout_seconds: z.number().int().min(1).max(50).default(30),
    })
    .prefault({}),
  webhook: z
    .strictObject({
      /** The public HTTPS URL Telegram POSTs to; it must reach this gateway's `path`. */
      url: z.url({ protocol: /^https?$/ }).optional(),
      /** Route on the gateway's own HTTP server. */
      path: z.string().regex(/^\/[A-Za-z0-9/_-]{1,200}$/).default('/telegram/webhook'),
      /** The X-Telegram-Bot-Api-Secret-Token value as a secret reference; without it a random one is made at each start. */
      secret: secretRef.optional(),
    })
    .prefault({}),
  /** Show "typing…" while the model works (sendChatAction). */
  typing_indicator: z.boolean().default(true),
}).refine((c) => c.mode !== 'webhook' || c.webhook.url !== undefined, { message: 'mode: webhook needs webhook.url (the public URL Telegram posts to)', path: ['webhook', 'url'] });

export type TelegramConfig = z.infer<typeof telegramConfigSchema>;
