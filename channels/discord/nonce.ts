// The nonce a Discord send carries with `enforce_nonce`, so that sending one outbox entry twice
// (delivered, then the gateway died before it could record that, and the outbox sent it again
// after the restart) gives back the first message instead of a duplicate. Discord remembers a
// nonce for a few minutes per author; it takes at most 25 characters.
import { deliveryKey } from '../delivery-key.js';

export const NONCE_LENGTH = 25;

/** The same for every retry of one outbox entry (../delivery-key.ts). */
export function deliveryNonce(channelId: string, deliveryId: string, content: string): string {
  return deliveryKey(channelId, deliveryId, content, NONCE_LENGTH);
}
