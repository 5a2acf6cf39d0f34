// Builds the channel-neutral ApprovalPrompt for a stored approval request. Every channel
// renders this one shape (buttons where it can, the text fallback everywhere else).
import type { ApprovalPrompt, ApprovalRequest } from '../core/types.js';

/** Longest argument text shown in a prompt; the full text stays available through the API. */
export const PROMPT_DETAIL_LIMIT = 3000;

/** The one-line summary of a request, as the prompt and the API show it. */
export function approvalSummary(approval: ApprovalRequest): string {
  return `${approval.skill}.${approval.operation} needs approval (${approval.securityLevel}), requested by ${approval.requester}`;
}

export function buildApprovalPrompt(approval: ApprovalRequest): ApprovalPrompt {
  const prompt: ApprovalPrompt = {
    approvalId: approval.id,
    summary: approvalSummary(approval),
    detail: describeArguments(approval),
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

function describeArguments(approval: ApprovalRequest): string {
  let pretty: string;
  try {
    pretty = JSON.stringify(JSON.parse(approval.canonicalArguments), null, 2);
  } catch {
    pretty = approval.canonicalArguments;
  }
  const head = `${approval.skill}.${approval.operation} with arguments (sha256 ${approval.argumentsHash.slice(0, 16)}…):\n`;
  if (pretty.length <= PROMPT_DETAIL_LIMIT) return head + pretty;
  const cut = pretty.length - PROMPT_DETAIL_LIMIT;
  return `${head}${pretty.slice(0, PROMPT_DETAIL_LIMIT)}\n… (${cut} more characters: GET /api/approvals/${approval.id} shows them all)`;
}
