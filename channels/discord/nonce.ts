// The nonce a Discord send carries with `enforce_nonce`, so that sending one outbox entry twice
// (delivered, then the gateway died before it could record that, and the outbox sent it again
// after the restart) gives back the first message instead of a duplicate. Discord remembers a
// nonce for a few minutes per author; it takes at most 25 characters.
import { createHash } from 'node:crypto';

export const NONCE_LENGTH = 25;

/**
 * The same for every retry of one outbox entry. The channel and the text are part of it as well
 * as the entry's number: after a fresh database reuses entry numbers, a nonce can only match a
 * message with the same text in the same channel, which is the message that would be sent.
 */
export function deliveryNonce(channelId: string, deliveryId: string, content: string): string {
  return createHash('sha256').update(`${channelId}\n${deliveryId}\n${content}`).digest('base64url').slice(0, NONCE_LENGTH);
}
