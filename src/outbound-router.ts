// Routes each outbound message to the channel adapter it names. Messages for the HTTP API
// ("api") are already in the store, so they need no delivery. A channel that is not running
// is logged, never thrown at the orchestrator.
import type { Logger } from 'pino';
import type { Channel } from '../channels/legacy-channel.js';
import type { OutboundSink } from './core/outbound.js';
import type { OutboundMessage } from './core/types.js';

export interface OutboundRouter extends OutboundSink {
  add(channel: Channel): void;
  /** Test and CLI hook: see every outbound message. */
  onMessage(listener: (message: OutboundMessage) => void): () => void;
}

export function createOutboundRouter(logger: Logger): OutboundRouter {
  const channels = new Map<string, Channel>();
  const listeners = new Set<(message: OutboundMessage) => void>();
  return {
    add(channel) {
      channels.set(channel.name, channel);
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async deliver(message) {
      for (const listener of listeners) listener(message);
      const channel = channels.get(message.channel);
      if (!channel) {
        if (message.channel !== 'api') logger.warn({ channel: message.channel }, 'no running channel for an outbound message');
        return undefined;
      }
      return channel.deliver(message);
    },
  };
}
