// The text fallback for approval prompts, usable on every channel: a plain-text rendering of
// an ApprovalPrompt and a parser for the `/approve ID`, `/allow ID` and `/deny ID` commands.
// The parser only recognises a message that is nothing but the command: an approval hidden
// inside a longer text (or quoted by the model) is not a decision. The caller passes the
// decider's identity from the platform's own sender field, never from the text.
import type { ApprovalPrompt } from '../core/types.js';
import type { DecideInput } from './policy-types.js';

export type ChannelDecision = 'approve' | 'deny' | 'allow_conversation';

export interface ApprovalCommand {
  approvalId: string;
  decision: ChannelDecision;
}

const COMMAND = /^\s*\/(approve|allow|deny)(?:@[A-Za-z0-9_]{1,64})?\s+([A-Za-z0-9_-]{1,100})\s*$/i;

export function parseApprovalCommand(text: string): ApprovalCommand | undefined {
  const match = COMMAND.exec(text);
  if (!match) return undefined;
  const verb = match[1]!.toLowerCase();
  const decision: ChannelDecision = verb === 'approve' ? 'approve' : verb === 'allow' ? 'allow_conversation' : 'deny';
  return { approvalId: match[2]!, decision };
}

/** Maps a channel's button/command onto the approval service's decide() input. */
export function toDecideInput(input: { approvalId: string; decision: ChannelDecision; userId: string; channel: string }): DecideInput {
  return {
    approvalId: input.approvalId,
    approver: input.userId,
    decision: input.decision === 'deny' ? 'deny' : 'approve',
    scope: input.decision === 'allow_conversation' ? 'conversation' : 'once',
    channel: input.channel,
  };
}

/**
 * Makes model-supplied text safe to show: control characters (terminal escapes) and
 * bidirectional overrides (which can make shown text differ from what runs) become visible
 * \u{…} escapes. Newlines and tabs stay.
 */
export function sanitizeForDisplay(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (ch) =>
    `\\u{${ch.codePointAt(0)!.toString(16)}}`,
  );
}

export function describeOutcome(prompt: ApprovalPrompt): string | undefined {
  const outcome = prompt.outcome;
  if (!outcome) return undefined;
  const at = outcome.at.toISOString();
  switch (outcome.status) {
    case 'approved':
      return `Approved by ${sanitizeForDisplay(outcome.by ?? 'unknown')} at ${at}.`;
    case 'denied':
      return `Denied by ${sanitizeForDisplay(outcome.by ?? 'unknown')} at ${at}. The step did not run.`;
    case 'expired':
      return `Expired at ${at} without a decision. The step did not run.`;
  }
}

/** The plain-text prompt (or its decided state) that works on every channel. */
export function renderApprovalText(prompt: ApprovalPrompt): string {
  const id = prompt.approvalId;
  const lines = [
    `Approval ${id} [${prompt.securityLevel}]: ${sanitizeForDisplay(prompt.summary)}`,
    sanitizeForDisplay(prompt.detail),
    `Who may approve: ${prompt.approvers.map(sanitizeForDisplay).join(', ') || 'nobody'}`,
  ];
  const outcome = describeOutcome(prompt);
  if (outcome) {
    lines.push(outcome);
    return lines.join('\n');
  }
  lines.push(`Expires: ${prompt.expiresAt.toISOString()}`);
  const choices = [`/approve ${id} to run it once`];
  if (prompt.options.includes('allow_conversation')) choices.push(`/allow ${id} to allow this for the rest of the conversation`);
  choices.push(`/deny ${id} to refuse`);
  lines.push(`Reply ${choices.join(', ')}.`);
  return lines.join('\n');
}
