// Every inbound chat message passes through here: a message that is nothing but an approval
// command (`/approve ID`, `/allow ID`, `/deny ID`) is a decision by its sender, taken by the
// approval service; anything else is a turn for the orchestrator. The decider is always the
// platform's sender id, never something the text says.
import { describeError } from './core/errors.js';
import type { OutboundSink } from './core/outbound.js';
import type { InboundMessage } from './core/types.js';
import type { Orchestrator } from './orchestrator/orchestrator.js';
import type { TurnOutcome } from './orchestrator/turn-outcome.js';
import type { ApprovalService } from './policy/approval-service.js';
import { parseApprovalCommand, toDecideInput } from './policy/approval-text.js';

export type InboundHandler = (message: InboundMessage) => Promise<TurnOutcome>;

export function createInboundHandler(orchestrator: Orchestrator, approvals: ApprovalService, outbound: OutboundSink): InboundHandler {
  return async (message) => {
    const command = parseApprovalCommand(message.text);
    if (!command) return orchestrator.handleMessage(message);
    const outcome: TurnOutcome = { conversationId: message.conversationId, status: 'completed', actions: [], pendingApprovals: [] };
    try {
      const decided = await approvals.decide(toDecideInput({ ...command, userId: message.senderId, channel: message.channel }));
      outcome.reply = { text: `${decided.status === 'approved' ? 'Approved' : 'Denied'} ${decided.id}.` };
    } catch (err) {
      outcome.status = 'failed';
      outcome.reply = { text: describeError(err) };
    }
    // The prompt itself is updated in place by the approval service; this tells the sender.
    await outbound.deliver({ channel: message.channel, conversationId: message.conversationId, text: outcome.reply.text }).catch(() => undefined);
    return outcome;
  };
}
