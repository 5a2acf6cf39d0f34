// Turns grammy's errors into the channel contract's ChannelDeliveryError, so the outbox knows
// whether to wait (429 with Telegram's own retry_after), retry with back-off (network, 5xx) or
// give up (bot blocked, chat gone). Must never copy the request URL (it holds the bot token)
// into a message: grammy's HttpError text can, so only the error kind is kept.
import { GrammyError, HttpError } from 'grammy';
import { ChannelDeliveryError } from '../channel.js';

/** Telegram answers 400 "message is not modified" when an edit changes nothing: already done. */
export function isNotModified(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 400 && err.description.includes('message is not modified');
}

export function toDeliveryError(err: unknown, what: string): ChannelDeliveryError {
  if (err instanceof ChannelDeliveryError) return err;
  if (err instanceof GrammyError) {
    const code = err.error_code;
    if (code === 429) {
      const seconds = err.parameters.retry_after ?? 1;
      return new ChannelDeliveryError('rate_limited', `Telegram rate-limited ${what}: retry after ${seconds} s.`, { retryAfterMs: seconds * 1000 });
    }
    if (code >= 500 || code === 401 || code === 409) {
      return new ChannelDeliveryError('transient', `Telegram refused ${what} for now (${code} ${err.description}); it will be retried.`);
    }
    return new ChannelDeliveryError('permanent', `Telegram rejected ${what} (${code} ${err.description}); it will not be retried.`);
  }
  if (err instanceof HttpError) {
    const cause = err.error as { code?: string; name?: string } | undefined;
    const kind = cause?.code ?? cause?.name ?? 'network error';
    return new ChannelDeliveryError('transient', `Telegram could not be reached for ${what} (${kind}); it will be retried.`);
  }
  return new ChannelDeliveryError('transient', `${what} failed unexpectedly; it will be retried.`);
}
