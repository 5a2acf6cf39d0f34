// An in-process channel adapter for channel-host tests: its "platform" is an array of the
// messages it accepted, and the test scripts the platform's answers (down: transient failures;
// a rate-limit answer with retry_after; a permanent refusal; failing start attempts). It speaks
// only the public channel contract, exactly like a real adapter.
import { ChannelDeliveryError, type ChannelAdapter, type ChannelContext, type InboundMessage, type OutboundDelivery, type ReceiveResult } from '../../channels/channel.js';
import type { ApprovalPrompt } from '../../src/core/types.js';

export interface PlatformMessage {
  id: string;
  conversation: string;
  text: string;
  approval?: ApprovalPrompt;
  edits: number;
}

export class LoopbackAdapter implements ChannelAdapter {
  readonly shown: PlatformMessage[] = [];
  /** Every failed attempt: when, and what the platform answered. */
  readonly failures: Array<{ at: number; kind: string; deliveryId: string }> = [];
  /** Every deliver() call: whether the outbox marked it `uncertain`, and how many start() calls came before it. */
  readonly attempts: Array<{ deliveryId: string; text: string; uncertain: boolean; starts: number }> = [];
  private starts = 0;
  limits = { maxTextLength: 200, supportsEdit: true };
  down = false;
  /** The next N sends are answered with "429, retry after retryAfterMs". */
  rateLimited = 0;
  retryAfterMs = 300;
  /** The next N sends are refused for good (bot blocked). */
  refuse = 0;
  /** The next N start() calls fail. */
  failStarts = 0;
  /** When set, start() waits for it (a platform that does not answer). */
  startGate: Promise<void> | undefined;
  ctx: ChannelContext | undefined;
  private counter = 0;
  private inbound = 0;

  constructor(readonly name = 'loop') {}

  async start(ctx: ChannelContext): Promise<void> {
    await this.startGate;
    if (this.failStarts > 0) {
      this.failStarts -= 1;
      throw new Error('401 Unauthorized: the bot token was rejected');
    }
    this.ctx = ctx;
    this.starts += 1;
  }

  async stop(): Promise<void> {
    this.ctx = undefined;
  }

  health() {
    return { connected: this.ctx !== undefined && !this.down };
  }

  private check(deliveryId: string): void {
    const at = Date.now();
    if (this.down) {
      this.failures.push({ at, kind: 'down', deliveryId });
      throw new ChannelDeliveryError('transient', 'platform unreachable (ECONNREFUSED)');
    }
    if (this.rateLimited > 0) {
      this.rateLimited -= 1;
      this.failures.push({ at, kind: 'rate_limited', deliveryId });
      throw new ChannelDeliveryError('rate_limited', 'Too Many Requests', { retryAfterMs: this.retryAfterMs });
    }
    if (this.refuse > 0) {
      this.refuse -= 1;
      this.failures.push({ at, kind: 'permanent', deliveryId });
      throw new ChannelDeliveryError('permanent', 'Forbidden: bot was blocked by the user');
    }
  }

  async deliver(message: OutboundDelivery): Promise<{ platformMessageId: string }> {
    this.attempts.push({ deliveryId: message.deliveryId, text: message.text, uncertain: message.uncertain === true, starts: this.starts });
    this.check(message.deliveryId);
    const id = `m${++this.counter}`;
    this.shown.push({ id, conversation: message.address.conversationId, text: message.text, ...(message.approval ? { approval: message.approval } : {}), edits: 0 });
    return { platformMessageId: id };
  }

  async edit(platformMessageId: string, message: OutboundDelivery): Promise<void> {
    this.check(message.deliveryId);
    const target = this.shown.find((m) => m.id === platformMessageId);
    if (!target) throw new ChannelDeliveryError('permanent', 'message to edit not found');
    target.text = message.text;
    if (message.approval) target.approval = message.approval;
    target.edits += 1;
  }

  /** A platform user sends a message. */
  send(user: string, conversation: string, text: string, extra: Partial<InboundMessage> = {}): Promise<ReceiveResult> {
    if (!this.ctx) throw new Error('adapter not started');
    return this.ctx.receive({
      conversationId: conversation,
      chatType: 'direct',
      senderId: user,
      senderName: `User ${user}`,
      text,
      time: new Date(),
      platformMessageId: `p${++this.inbound}`,
      ...extra,
    });
  }

  texts(conversation: string): string[] {
    return this.shown.filter((m) => m.conversation === conversation && !m.approval).map((m) => m.text);
  }
}
