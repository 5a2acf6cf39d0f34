// The `channels.discord` config section: the bot token (a secret reference, resolved when the
// adapter is built), the REST base (discord.js `rest.api`; the gateway URL comes from
// GET /gateway/bot), where slash commands are registered (globally, or per listed guild, which
// takes effect at once), how far back start-up looks for conversations to catch up on, and the
// access keys every channel shares. Must never hold a resolved secret.
import { z } from 'zod';
import { channelAccessSchema, secretReference } from '../access-config.js';

const snowflake = z.string().regex(/^\d{15,21}$/, 'a Discord id (a snowflake: 15 to 21 digits)');

export const discordConfigSchema = channelAccessSchema.extend({
  /** The bot token from the Developer Portal (Bot -> Reset Token). */
  token: secretReference,
  /** The REST base URL; a local stand-in in tests. */
  api_url: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ''))
    .default('https://discord.com/api'),
  /** Register slash commands in these guilds (instant) instead of globally (may take up to an hour to appear). */
  guild_ids: z.array(snowflake).default([]),
  /** Answer each guild mention in its own thread (started from that message); the thread is then the conversation. */
  threads: z.boolean().default(false),
  /** On start-up, conversations with a message in this many hours are checked for messages sent while the gateway was down. */
  catch_up_hours: z.number().int().min(0).max(24 * 7).default(72),
});

export type DiscordConfig = z.infer<typeof discordConfigSchema>;
