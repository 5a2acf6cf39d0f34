// Where replies and approval prompts go. The composition root routes each OutboundMessage to
// the channel adapter named in it; the HTTP API records them for the caller.
import type { OutboundMessage } from './types.js';

export interface OutboundSink {
  /** Delivers a message; resolves to the platform message id when the channel has one. */
  deliver(message: OutboundMessage): Promise<string | undefined>;
}
