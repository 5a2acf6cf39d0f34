// The `channels.slack` config section: Socket Mode (default, app-level token, no public URL) or
// HTTP mode (Events API, interactivity and slash commands POSTed to the gateway's own port,
// verified with the signing secret), the Web API base URL, the slash command's name, and the
// access keys every channel shares. Must never hold a resolved secret: the tokens and the
// signing secret are references, resolved by the definition when the adapter is built.
import { z } from 'zod';
import { channelAccessSchema, secretReference as secretRef } from '../access-config.js';

export const slackConfigSchema = channelAccessSchema
  .extend({
    /** socket: the gateway opens a WebSocket to Slack (no public URL); http: Slack POSTs to `events_path`. */
    mode: z.enum(['socket', 'http']).default('socket'),
    /** The bot token (xoxb-…) from "OAuth & Permissions". */
    bot_token: secretRef,
    /** The app-level token (xapp-…, scope connections:write); Socket Mode only. */
    app_token: secretRef.optional(),
    /** The signing secret from "Basic Information"; HTTP mode only. */
    signing_secret: secretRef.optional(),
    /** The Web API base (a local stand-in in tests); every client the adapter makes uses it. */
    api_url: z
      .url({ protocol: /^https?$/ })
      .transform((u) => (u.endsWith('/') ? u : `${u}/`))
      .default('https://slack.com/api/'),
    /** HTTP mode: the route on the gateway's own server (Bolt's default path). */
    events_path: z.string().regex(/^\/[A-Za-z0-9/_-]{1,200}$/).default('/slack/events'),
    /** The slash command, as declared in the app manifest. */
    slash_command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'a slash command like /securesphere (lowercase letters, digits, - and _)').default('/securesphere'),
  })
  .refine((c) => c.mode !== 'socket' || c.app_token !== undefined, { message: 'mode: socket needs app_token (an xapp- token with connections:write)', path: ['app_token'] })
  .refine((c) => c.mode !== 'http' || c.signing_secret !== undefined, { message: 'mode: http needs signing_secret (to verify every request)', path: ['signing_secret'] });

export type SlackConfig = z.infer<typeof slackConfigSchema>;
