// Maps what discord.js's REST client throws onto the channel contract's ChannelDeliveryError, so
// the host's outbox knows whether to wait (a 429 or an exhausted bucket: Discord's own
// retry_after / reset), retry with back-off (network errors, 5xx, a revoked-then-fixed token) or
// give the message up (a channel that is gone, missing access, a body Discord will never take).
// The REST client is built with retries: 0 and rejectOnRateLimit, so it never waits or retries
// on its own. Must never copy the token or a request body into a message.
import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import { ChannelDeliveryError } from '../channel.js';

/** Discord JSON error codes no retry will fix. */
const PERMANENT_CODES = new Set([
  10003, // Unknown Channel
  10008, // Unknown Message
  10013, // Unknown User
  50001, // Missing Access
  50005, // Cannot edit a message authored by another user
  50006, // Cannot send an empty message
  50007, // Cannot send messages to this user
  50008, // Cannot send messages in a non-text channel
  50013, // Missing Permissions
  50035, // Invalid Form Body
  160005, // Thread is locked
]);

/** Codes meaning the interaction token cannot be used any more (the answer goes to the channel instead). */
export const DEAD_INTERACTION_CODES = new Set([10015, 10062, 50027]);

/** One short, secret-free line describing a REST failure. */
export function describeDiscordError(err: unknown): string {
  if (err instanceof RateLimitError) return `discord rate limited on ${err.route}: retry after ${Math.max(err.retryAfter, err.timeToReset)} ms`;
  if (err instanceof DiscordAPIError) return `discord api error ${err.status} (code ${String(err.code)}): ${err.message}`;
  if (err instanceof HTTPError) return `discord http ${err.status}`;
  return err instanceof Error ? `discord unreachable: ${err.message}` : 'discord request failed';
}

export function toDeliveryError(err: unknown, what: string): ChannelDeliveryError {
  if (err instanceof ChannelDeliveryError) return err;
  const description = `${what}: ${describeDiscordError(err)}`;
  if (err instanceof RateLimitError) {
    const waitMs = Math.max(err.retryAfter, err.timeToReset, 1);
    return new ChannelDeliveryError('rate_limited', `${description}; the outbox waits as Discord asked.`, { retryAfterMs: waitMs, cause: err });
  }
  if (err instanceof DiscordAPIError) {
    if (err.status === 429) return new ChannelDeliveryError('rate_limited', `${description}; retrying later.`, { retryAfterMs: 1_000, cause: err });
    if (typeof err.code === 'number' && PERMANENT_CODES.has(err.code)) {
      return new ChannelDeliveryError('permanent', `${description}; check that the bot can see and write in the channel (View Channel, Send Messages).`, { cause: err });
    }
  }
  return new ChannelDeliveryError('transient', `${description}; retrying with back-off.`, { cause: err });
}
