// The text fallback for approval prompts, usable on every channel: a plain-text rendering of
// an ApprovalPrompt and a parser for the `/approve ID`, `/allow ID` and `/deny ID` commands.
// The parser only recognises a message that is nothing but the command: an approval hidden
// inside a longer text (or quoted by the model) is not a decision. The caller passes the
// decider's identity from the platform's own sender field, never from the text.
import type { ApprovalPrompt } from '../core/types.js';
import type { DecideInput } from './policy-types.js';
import { visibleText } from '../core/visible-text.js';

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
 * Makes model-supplied text safe to show (src/core/visible-text.ts): control characters
 * (terminal escapes) and invisible or bidirectional formatting characters (which can make shown
 * text differ from what runs) become visible \u{…} escapes. Newlines and tabs stay.
 */
export function sanitizeForDisplay(text: string): string {
  return visibleText(text, { multiline: true });
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

export interface RenderApprovalOptions {
  /** The platform's longest message; a longer prompt is shortened (see renderApprovalMessage). */
  maxLength?: number;
  /** The platform can attach a file or snippet to the message. */
  canAttach?: boolean;
  /** Where a request too long for this platform can be decided, e.g. the web page's URL. */
  decideElsewhere?: string;
}

export interface RenderedApproval {
  text: string;
  /** The full request, for a platform that attaches it as a file next to `text`. */
  attachment?: { filename: string; content: string };
}

/**
 * The text prompt for a platform with a message size limit. The prompt never silently loses the
 * end of a request: when `detail` left something out (or the prompt is longer than maxLength)
 * and the platform can attach files, the full request comes back as an attachment; when it is
 * too long and the platform cannot attach, the text says it cannot be decided there and where
 * it can be, and offers no decision commands.
 */
export function renderApprovalMessage(prompt: ApprovalPrompt, options: RenderApprovalOptions = {}): RenderedApproval {
  const text = renderApprovalText(prompt);
  const full = prompt.fullDetail ?? sanitizeForDisplay(prompt.detail);
  const attachment = { filename: `approval-${prompt.approvalId}.txt`, content: `${text}\n\n${full}\n` };
  const fits = options.maxLength === undefined || text.length <= options.maxLength;
  if (fits) return prompt.fullDetail !== undefined && options.canAttach ? { text, attachment } : { text };
  const id = prompt.approvalId;
  const header = `Approval ${id} [${prompt.securityLevel}]: ${sanitizeForDisplay(prompt.summary)}`;
  const lines: string[] = [header];
  if (options.canAttach && !prompt.outcome) {
    lines.push(`The request is too long to show here; it is attached in full (${attachment.filename}). Read it before deciding.`);
    lines.push(`Reply /approve ${id} to run it once${prompt.options.includes('allow_conversation') ? `, /allow ${id} for the rest of the conversation` : ''}, /deny ${id} to refuse.`);
  } else {
    const outcome = describeOutcome(prompt);
    if (outcome) lines.push(outcome);
    else {
      const where = options.decideElsewhere ? `${visibleText(options.decideElsewhere)} or ` : 'the web page or ';
      lines.push(`This request is too long to show here, so it cannot be decided here: decide it on ${where}with \`securesphere approvals list\` and \`securesphere approvals approve ${id} --as USER\`.`);
    }
  }
  const out = lines.join('\n');
  const shortText = options.maxLength !== undefined && out.length > options.maxLength ? `${out.slice(0, Math.max(0, options.maxLength - 1))}…` : out;
  return options.canAttach && !prompt.outcome ? { text: shortText, attachment } : { text: shortText };
}
