// Turns matrix-js-sdk's errors into the channel contract's ChannelDeliveryError: 429 waits for
// the homeserver's retry_after_ms, network failures and 5xx are retried with back-off, a refusal
// that will never succeed (not in the room, room gone, bad content) is given up. Must never copy
// a request URL or header into a message.
import type * as Sdk from 'matrix-js-sdk';
import { ChannelDeliveryError } from '../channel.js';

export function toDeliveryError(sdk: typeof Sdk, err: unknown, what: string): ChannelDeliveryError {
  if (err instanceof ChannelDeliveryError) return err;
  if (err instanceof sdk.MatrixError) {
    const status = err.httpStatus ?? 0;
    if (status === 429 || err.errcode === 'M_LIMIT_EXCEEDED') {
      const wait = typeof err.data.retry_after_ms === 'number' ? err.data.retry_after_ms : 1000;
      return new ChannelDeliveryError('rate_limited', `The Matrix homeserver rate-limited ${what}: retry after ${Math.ceil(wait / 1000)} s.`, { retryAfterMs: wait });
    }
    if (status >= 500 || status === 401 || status === 0) {
      return new ChannelDeliveryError('transient', `The Matrix homeserver refused ${what} for now (${status} ${err.errcode ?? ''}); it will be retried.`);
    }
    return new ChannelDeliveryError('permanent', `The Matrix homeserver rejected ${what} (${status} ${err.errcode ?? ''}); it will not be retried.`);
  }
  if (err instanceof sdk.ConnectionError) {
    return new ChannelDeliveryError('transient', `The Matrix homeserver could not be reached for ${what}; it will be retried.`);
  }
  return new ChannelDeliveryError('transient', `${what} failed unexpectedly; it will be retried.`);
}
