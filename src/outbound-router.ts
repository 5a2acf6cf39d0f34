// The gateway's one outbound path: every reply and approval prompt from the orchestrator and
// the approval service passes here, is redacted (no known secret ever reaches a platform), is
// shown to listeners (tests, diagnostics), and goes to the channel host, which stores it in the
// durable outbox. Messages for the HTTP API ("api") are already in the store. Never throws at
// the orchestrator for a channel that is not running.
import type { OutboundSink } from './core/outbound.js';
import type { OutboundMessage } from './core/types.js';

export interface OutboundRouter extends OutboundSink {
  /** Test and diagnostics hook: see every outbound message (after redaction). */
  onMessage(listener: (message: OutboundMessage) => void): () => void;
}

export function createOutboundRouter(deps: { sink: OutboundSink; redact: (message: OutboundMessage) => OutboundMessage }): OutboundRouter {
  const listeners = new Set<(message: OutboundMessage) => void>();
  return {
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async deliver(message) {
      const redacted = deps.redact(message);
      for (const listener of listeners) listener(redacted);
      return deps.sink.deliver(redacted);
    },
  };
}
