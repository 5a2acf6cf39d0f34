// The `channels.matrix` config section: the homeserver, the bot's user id, how it logs in (an
// access token, or a password exchanged once for a token kept in the data directory), the
// access keys every channel shares, and the Matrix-only choices (invites, notices, threads,
// encryption). Must never hold a resolved secret: references are resolved at build time.
import { z } from 'zod';
import { channelAccessSchema, secretReference } from '../access-config.js';

export const matrixConfigSchema = channelAccessSchema
  .extend({
    /** The homeserver's client-server API base URL, e.g. https://matrix.example.org. */
    homeserver_url: z
      .url({ protocol: /^https?$/ })
      .refine((u) => !u.endsWith('/'), 'remove the trailing "/"'),
    /** The bot's full Matrix user id, e.g. "@securesphere:example.org". */
    user_id: z.string().regex(/^@[^:\s]+:[^\s]+$/, 'a Matrix user id like "@securesphere:example.org"'),
    /** `${env:MATRIX_ACCESS_TOKEN}` or `vault:NAME`; or set `password` instead. */
    access_token: secretReference.optional(),
    /** Exchanged once for an access token stored in the data directory (0600). */
    password: secretReference.optional(),
    /** The device's display name when logging in with a password. */
    device_name: z.string().min(1).max(100).default('SecureSphere gateway'),
    /** Decrypt and encrypt in rooms with m.room.encryption (the SDK's Rust crypto, its store in the data directory). */
    encryption: z.boolean().default(true),
    /** `vault:NAME` or `${env:NAME}`: encrypts the keys in the crypto store file at rest. Changing it later makes the store unreadable. */
    crypto_store_passphrase: secretReference.optional(),
    invites: z
      .strictObject({
        /** What happens to an invite from a user the access policy does not allow: decline it, or leave it unanswered. */
        from_others: z.enum(['decline', 'ignore']).default('decline'),
      })
      .prefault({}),
    /** Ignore m.notice messages from other users (what other bots send). */
    ignore_notices: z.boolean().default(true),
    /** A thread inside a room is its own conversation (history, grants, agent); otherwise it belongs to the room's. */
    threads_as_conversations: z.boolean().default(true),
    /** Show "typing…" while the model works. */
    typing_indicator: z.boolean().default(true),
    /** Answer, once per user and prompt, a reaction that may not decide (otherwise it is ignored silently). */
    answer_refused_reactions: z.boolean().default(true),
  })
  .refine((c) => (c.access_token === undefined) !== (c.password === undefined), {
    message: 'set exactly one of access_token or password',
    path: ['access_token'],
  });

export type MatrixConfig = z.infer<typeof matrixConfigSchema>;
