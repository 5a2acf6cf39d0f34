// Matrix's idempotency key for a send is its transaction id: the homeserver answers a repeated one
// (same access token) with the first event instead of sending again. It names the outbox entry
// through ../delivery-key.ts (the room, the thread and the text hashed in with the entry's
// number): a reply sent just before a crash and sent again after the restart is one event, and a
// fresh database that reuses entry numbers cannot have its replies taken for repeats of old ones
// (the spec scopes them to the access token, which a fresh database may keep).
import type { OutboundDelivery } from '../channel.js';
import { deliveryKey } from '../delivery-key.js';

export function sendTransactionId(message: OutboundDelivery): string {
  return `ss-${deliveryKey(message, 32)}`;
}
