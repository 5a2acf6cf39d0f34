// Maps what @slack/web-api throws onto the channel contract's ChannelDeliveryError, so the
// host's outbox knows whether to wait (429 with Slack's own Retry-After), retry with back-off
// (network errors, 5xx, Slack-side failures) or give the message up (a channel that is gone, a
// message that cannot be edited). Must never copy a token or a request body into the message.
import { webApi } from '@slack/bolt';
import { ChannelDeliveryError } from '../channel.js';

/** Slack API errors that no retry will fix. */
const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'msg_too_long',
  'no_text',
  'invalid_blocks',
  'invalid_blocks_format',
  'cant_update_message',
  'message_not_found',
  'edit_window_closed',
  'user_not_in_channel',
  'restricted_action',
  'too_many_attachments',
]);

/** One short, secret-free line describing a Web API failure. */
export function describeSlackError(err: unknown): string {
  const e = err as { code?: string; data?: { error?: string }; statusCode?: number; retryAfter?: number; original?: { message?: string } };
  switch (e?.code) {
    case webApi.ErrorCode.PlatformError:
      return `slack api error: ${e.data?.error ?? 'unknown'}`;
    case webApi.ErrorCode.RateLimitedError:
      return `slack rate limited: retry after ${e.retryAfter ?? '?'} s`;
    case webApi.ErrorCode.HTTPError:
      return `slack http ${e.statusCode ?? '?'}`;
    case webApi.ErrorCode.RequestError:
      return `slack unreachable: ${e.original?.message ?? 'request failed'}`;
    default:
      return err instanceof Error ? err.message : 'unknown error';
  }
}

export function toDeliveryError(err: unknown, what: string): ChannelDeliveryError {
  if (err instanceof ChannelDeliveryError) return err;
  const e = err as { code?: string; data?: { error?: string }; retryAfter?: number };
  const description = `${what}: ${describeSlackError(err)}`;
  if (e?.code === webApi.ErrorCode.RateLimitedError) {
    const seconds = typeof e.retryAfter === 'number' && e.retryAfter >= 0 ? e.retryAfter : 1;
    return new ChannelDeliveryError('rate_limited', `${description}; the outbox waits as Slack asked.`, { retryAfterMs: seconds * 1000, cause: err });
  }
  if (e?.code === webApi.ErrorCode.PlatformError) {
    const error = e.data?.error ?? '';
    if (error === 'ratelimited') return new ChannelDeliveryError('rate_limited', `${description}; retrying later.`, { retryAfterMs: 1_000, cause: err });
    if (PERMANENT.has(error)) return new ChannelDeliveryError('permanent', `${description}; check that the bot is in the channel and the app has its scopes.`, { cause: err });
  }
  return new ChannelDeliveryError('transient', `${description}; retrying with back-off.`, { cause: err });
}
