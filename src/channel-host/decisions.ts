// Turns a channel's button press (or `/approve ID` text) into an approval decision and says how
// it went, so the adapter can answer the press. The decider is `<channel>:<platform user id>`
// from the platform's sender field; nothing in the press's data names who decides. Never
// throws for an expected refusal: those are outcomes.
import type { DecisionInput, DecisionOutcome } from '../../channels/channel.js';
import { toIdentity } from '../../channels/channel.js';
import { ERROR_CODES, describeError, isSecureSphereError } from '../core/errors.js';
import type { ApprovalService } from '../policy/approval-service.js';

export type DecideFn = (channel: string, input: DecisionInput) => Promise<DecisionOutcome>;

const APPROVAL_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function createChannelDecisions(approvals: Pick<ApprovalService, 'decide'>): DecideFn {
  return async (channel, input) => {
    const approvalId = typeof input.approvalId === 'string' ? input.approvalId : '';
    if (!APPROVAL_ID.test(approvalId) || typeof input.userId !== 'string' || input.userId === '' || !['approve', 'deny', 'allow_conversation'].includes(input.decision)) {
      return { status: 'refused', approvalId, reason: 'invalid', message: 'That is not a valid approval decision.' };
    }
    try {
      const decided = await approvals.decide({
        approvalId,
        approver: toIdentity(channel, input.userId),
        decision: input.decision === 'deny' ? 'deny' : 'approve',
        scope: input.decision === 'allow_conversation' ? 'conversation' : 'once',
        channel,
      });
      if (decided.status === 'approved') {
        const scope = decided.scope ?? 'once';
        return { status: 'approved', approvalId, scope, message: scope === 'conversation' ? `Approved ${approvalId} for the rest of this conversation.` : `Approved ${approvalId}.` };
      }
      return { status: 'denied', approvalId, message: `Denied ${approvalId}; the step does not run.` };
    } catch (err) {
      const message = describeError(err);
      if (isSecureSphereError(err, ERROR_CODES.APPROVAL_NOT_FOUND)) return { status: 'refused', approvalId, reason: 'not_found', message };
      if (isSecureSphereError(err, ERROR_CODES.APPROVAL_ALREADY_DECIDED)) return { status: 'refused', approvalId, reason: 'already_decided', message };
      if (isSecureSphereError(err, ERROR_CODES.APPROVAL_NOT_ALLOWED)) return { status: 'refused', approvalId, reason: 'not_an_approver', message };
      if (isSecureSphereError(err, ERROR_CODES.BAD_REQUEST)) return { status: 'refused', approvalId, reason: 'invalid', message };
      throw err;
    }
  };
}
