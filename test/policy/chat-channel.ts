// A chat channel for end-to-end approval tests: users "type" messages; a message that is just
// an approval command (/approve ID, /allow ID, /deny ID) becomes a decision by that sender,
// exactly as a real adapter uses the shared text fallback; anything else is a chat message.
import type { Channel, ChannelContext } from '../../channels/legacy-channel.js';
import type { OutboundMessage } from '../../src/core/types.js';
import { parseApprovalCommand } from '../../src/policy/approval-text.js';

export interface DeliveredMessage extends OutboundMessage {
  platformMessageId: string;
}

export class ChatChannel implements Channel {
  readonly delivered: DeliveredMessage[] = [];
  private ctx: ChannelContext | undefined;
  private counter = 0;

  constructor(readonly name = 'chat') {}

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
  }

  async stop(): Promise<void> {
    this.ctx = undefined;
  }

  async deliver(message: OutboundMessage): Promise<string | undefined> {
    this.counter += 1;
    const platformMessageId = `${this.name}-msg-${this.counter}`;
    this.delivered.push({ ...message, platformMessageId });
    return platformMessageId;
  }

  /** A user types `text` in `conversationId`. Resolves when the gateway has handled it. */
  async type(userId: string, text: string, conversationId = 'room-1'): Promise<void> {
    if (!this.ctx) throw new Error('channel not started');
    const command = parseApprovalCommand(text);
    if (command) {
      await this.ctx.decide({ approvalId: command.approvalId, decision: command.decision, userId, channel: this.name });
      return;
    }
    await this.ctx.receive({ channel: this.name, conversationId, senderId: userId, senderName: userId, text, time: new Date() });
  }

  /** Prompts (not their in-place updates) delivered so far. */
  prompts(): DeliveredMessage[] {
    return this.delivered.filter((m) => m.approval && !m.replacesPlatformMessageId);
  }

  /** Plain replies (no approval attached). */
  replies(): string[] {
    return this.delivered.filter((m) => !m.approval).map((m) => m.text);
  }
}
