// The reply streams as a channel adapter sees them: addressed by the platform's own
// conversation id (what the adapter knows), not the gateway's conversation key. Events for a
// conversation with no platform address (an API conversation) are not passed on.
import type { ReplyProgress, ReplyStreamHub } from '../core/reply-stream.js';
import type { PlatformAddress } from '../store/conversation-keys.js';

export function platformReplyStreams(hub: ReplyStreamHub, addressOf: (conversationId: string) => PlatformAddress | undefined): ReplyStreamHub {
  const toPlatform = (event: ReplyProgress): ReplyProgress | undefined => {
    const address = addressOf(event.conversationId);
    return address ? { ...event, channel: address.channel, conversationId: address.conversationId } : undefined;
  };
  return {
    subscribe(listener, filter = {}) {
      return hub.subscribe(
        (event) => {
          const seen = toPlatform(event);
          if (seen && (filter.conversationId === undefined || filter.conversationId === seen.conversationId)) listener(seen);
        },
        {
          ...(filter.channel !== undefined ? { channel: filter.channel } : {}),
          wants: (channel, conversationId) => {
            const address = addressOf(conversationId);
            if (!address || (filter.conversationId !== undefined && filter.conversationId !== address.conversationId)) return false;
            return filter.wants?.(address.channel, address.conversationId) ?? true;
          },
        },
      );
    },
    wants: (channel, conversationId) => hub.wants(channel, conversationId),
    // Adapters only listen; the orchestrator publishes on the hub itself.
    publish: () => undefined,
  };
}
