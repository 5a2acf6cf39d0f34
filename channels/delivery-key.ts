// A key that names one outbox entry on a platform, for the platforms that can recognise a message
// sent twice (Discord's nonce, Matrix's transaction id) or let the adapter find its own earlier
// message (Slack's message metadata): the same on every retry of the entry, different for another
// entry. The place (the conversation and thread) and the text are hashed in with the entry's
// number, so after a fresh database reuses entry numbers a key can only match the same text in
// the same place: the very message that would be sent.
import { createHash } from 'node:crypto';
import type { OutboundDelivery } from './channel.js';

export function deliveryKey(message: OutboundDelivery, length: number): string {
  const { conversationId, threadId } = message.address;
  return createHash('sha256')
    .update(`${conversationId}/${threadId ?? ''}\n${message.deliveryId}\n${message.text}`)
    .digest('base64url')
    .slice(0, length);
}
