// Builds the channel-neutral ApprovalPrompt for a stored approval request. Every channel
// renders this one shape (buttons where it can, the text fallback everywhere else). The detail
// shows the whole effect (approval-detail.ts): beginning and end of long values, whitespace
// runs as markers, no control or invisible characters; `fullDetail` carries everything for a
// channel that can attach it.
import type { ApprovalPrompt, ApprovalRequest } from '../core/types.js';
import { describeArgumentsDetail } from './approval-detail.js';
import { visibleText } from '../core/visible-text.js';

/** The one-line summary of a request, as the prompt and the API show it. */
export function approvalSummary(approval: ApprovalRequest): string {
  return `${approval.skill}.${approval.operation} needs approval (${approval.securityLevel}), requested by ${visibleText(approval.requester)}`;
}

export interface BuildPromptOptions {
  /** Why the level is above the skill's declared one for these arguments (e.g. an inline script). */
  levelReason?: string;
}

export function buildApprovalPrompt(approval: ApprovalRequest, options: BuildPromptOptions = {}): ApprovalPrompt {
  const detail = describeArguments(approval, options.levelReason);
  const prompt: ApprovalPrompt = {
    approvalId: approval.id,
    summary: approvalSummary(approval),
    detail: detail.text,
    ...(detail.full !== undefined ? { fullDetail: detail.full } : {}),
    securityLevel: approval.securityLevel,
    approvers: [...approval.approvers],
    expiresAt: approval.expiresAt,
    // "Allow for this conversation" is never offered for critical steps.
    options: approval.securityLevel === 'critical' ? ['approve', 'deny'] : ['approve', 'deny', 'allow_conversation'],
  };
  if (approval.status !== 'pending') {
    prompt.outcome = {
      status: approval.status,
      ...(approval.decidedBy !== undefined ? { by: approval.decidedBy } : {}),
      at: approval.decidedAt ?? new Date(),
    };
  }
  return prompt;
}

function describeArguments(approval: ApprovalRequest, levelReason: string | undefined): { text: string; full?: string } {
  let args: unknown;
  try {
    args = JSON.parse(approval.canonicalArguments);
  } catch {
    args = approval.canonicalArguments;
  }
  const described = describeArgumentsDetail(args);
  const why = levelReason ? `Rated ${approval.securityLevel}: ${visibleText(levelReason)}.\n` : '';
  const head = `${why}${approval.skill}.${approval.operation} with arguments (sha256 ${approval.argumentsHash.slice(0, 16)}…):\n`;
  if (!described.shortened) return { text: head + described.text };
  const where = `Parts marked ⟨…⟩ are not shown here; the full arguments: the web page, \`securesphere approvals list --json\` or GET /api/approvals/${approval.id}.`;
  return { text: `${head}${described.text}\n${where}`, full: head + described.full };
}
