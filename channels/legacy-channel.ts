// TEMPORARY (removed when the channel host lands): the previous Channel interface, kept so the
// web channel and the gateway compile while channels/channel.ts holds the new contract.
// The Channel interface: one adapter per chat platform. An adapter turns platform events into
// InboundMessage, hands them to the gateway, and delivers OutboundMessage back. Malformed
// platform events are logged and dropped; they never crash the adapter.
import type { InboundMessage, OutboundMessage } from '../src/core/types.js';

export interface ApprovalDecisionInput {
  approvalId: string;
  decision: 'approve' | 'deny' | 'allow_conversation';
  /** The platform user who pressed the button, as `<channel>:<id>` is NOT assumed: raw id. */
  userId: string;
  channel: string;
}

export interface ChannelContext {
  /**
   * Hand a message to the gateway. Resolves when its turn has finished (stored, answered or
   * waiting for an approval); replies also reach the channel through its deliver().
   */
  receive(message: InboundMessage): Promise<void>;
  /** A user pressed Approve/Deny (or typed /approve ID). */
  decide(input: ApprovalDecisionInput): Promise<void>;
}

export interface Channel {
  readonly name: string;
  start(ctx: ChannelContext): Promise<void>;
  stop(): Promise<void>;
  /** Deliver a message; returns the platform message id (used to edit approval prompts). */
  deliver(message: OutboundMessage): Promise<string | undefined>;
}
