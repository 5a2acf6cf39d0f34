// A chat channel for end-to-end approval tests, on the real channel contract: users "type"
// messages; a message that is just an approval command (/approve ID, /allow ID, /deny ID)
// becomes a decision by that sender (a refused one rejects with the matching error code, as the
// old synchronous path did); anything else goes through ctx.receive(), and type() then waits
// until the gateway has finished with it (turns and outbox).
import type { ChannelAdapter, ChannelContext, DecisionOutcome, OutboundDelivery } from '../../channels/channel.js';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import type { ApprovalPrompt } from '../../src/core/types.js';
import { parseApprovalCommand } from '../../src/policy/approval-text.js';

export interface DeliveredMessage {
  conversationId: string;
  text: string;
  approval?: ApprovalPrompt;
  /** Set on an edit: the platform message it replaced. */
  replacesPlatformMessageId?: string;
  platformMessageId: string;
}

const REFUSAL_CODES = {
  not_an_approver: ERROR_CODES.APPROVAL_NOT_ALLOWED,
  already_decided: ERROR_CODES.APPROVAL_ALREADY_DECIDED,
  not_found: ERROR_CODES.APPROVAL_NOT_FOUND,
  invalid: ERROR_CODES.BAD_REQUEST,
} as const;

export class ChatChannel implements ChannelAdapter {
  readonly delivered: DeliveredMessage[] = [];
  readonly limits = { maxTextLength: 4000, supportsEdit: true };
  /** Set by the test: resolves when the gateway is idle (turns done, outbox delivered). */
  settle: () => Promise<void> = async () => undefined;
  private ctx: ChannelContext | undefined;
  private counter = 0;
  private inbound = 0;

  constructor(readonly name = 'chat') {}

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
  }

  async stop(): Promise<void> {
    this.ctx = undefined;
  }

  health() {
    return { connected: this.ctx !== undefined };
  }

  async deliver(message: OutboundDelivery): Promise<{ platformMessageId: string }> {
    this.counter += 1;
    const platformMessageId = `${this.name}-msg-${this.counter}`;
    this.delivered.push({ conversationId: message.address.conversationId, text: message.text, ...(message.approval ? { approval: message.approval } : {}), platformMessageId });
    return { platformMessageId };
  }

  async edit(platformMessageId: string, message: OutboundDelivery): Promise<void> {
    this.delivered.push({
      conversationId: message.address.conversationId,
      text: message.text,
      ...(message.approval ? { approval: message.approval } : {}),
      replacesPlatformMessageId: platformMessageId,
      platformMessageId,
    });
  }

  /** A user types `text` in `conversationId`. Resolves when the gateway has handled it. */
  async type(userId: string, text: string, conversationId = 'room-1'): Promise<DecisionOutcome | undefined> {
    if (!this.ctx) throw new Error('channel not started');
    const command = parseApprovalCommand(text);
    if (command) {
      const outcome = await this.ctx.decide({ approvalId: command.approvalId, decision: command.decision, userId, conversationId });
      await this.settle();
      if (outcome.status === 'refused') throw new SecureSphereError(REFUSAL_CODES[outcome.reason], outcome.message);
      return outcome;
    }
    this.inbound += 1;
    const result = await this.ctx.receive({
      conversationId,
      chatType: 'direct',
      senderId: userId,
      senderName: userId,
      text,
      time: new Date(),
      platformMessageId: `in-${this.inbound}-${Date.now()}`,
    });
    if (result.status === 'refused') throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, result.message);
    await this.settle();
    return undefined;
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
