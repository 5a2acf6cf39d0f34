// The two ways an approval request moves: open() persists and audits it BEFORE its prompt is
// shown anywhere, then remembers which platform message shows it; decide() vets the decider,
// then commits approval and action together (compare-and-set: a second or concurrent press
// gets APPROVAL_ALREADY_DECIDED and never triggers a second run), updates the prompt and tells
// the conversation. Neither waits for the conversation to continue.
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import type { ActionRequest, ApprovalPrompt, ApprovalRequest } from '../core/types.js';
import { commitDecision, commitRequest, type CommitStores } from './approval-commit.js';
import { alreadyDecided, requireDecider, vetDecision } from './approval-decide.js';
import type { ExpirySweeper } from './approval-expiry.js';
import type { PromptPublisher } from './approval-prompts.js';
import type { PolicyConfig } from './policy-engine.js';
import type { DecideInput, PolicyDecision } from './policy-types.js';

export interface ApprovalFlowDeps {
  stores: CommitStores;
  config: PolicyConfig;
  now: () => number;
  /** The prompt of a stored request. */
  promptFor(approval: ApprovalRequest): ApprovalPrompt;
  prompts: PromptPublisher;
  expiry: Pick<ExpirySweeper, 'expireOne'>;
  /** Tells the conversation (orchestrator resume) without waiting for it. */
  notify(approval: ApprovalRequest): void;
}

export async function openApproval(
  deps: ApprovalFlowDeps,
  action: ActionRequest,
  decision: Extract<PolicyDecision, { decision: 'require_approval' }>,
  context: { channel: string },
): Promise<{ approval: ApprovalRequest; prompt: ApprovalPrompt }> {
  const { store } = deps.stores;
  const approval = commitRequest(deps.stores, action, decision, context.channel, deps.now(), deps.config.approval_ttl_ms);
  // Persisted and audited; only now is anything shown.
  const prompt = deps.promptFor(approval);
  // Not shown is still answerable through the API and CLI; expiry cleans it up otherwise.
  const messageId = await deps.prompts.deliver(approval, prompt, 'could not show the prompt');
  if (messageId !== undefined) store.setMessage(approval.id, context.channel, messageId);
  const stored = store.get(approval.id)!;
  // Decided while the prompt was on its way: update it now that its message id is known.
  if (stored.status !== 'pending' && stored.platformMessageId !== undefined) await deps.prompts.show(stored);
  return { approval: stored, prompt };
}

export async function decideApproval(deps: ApprovalFlowDeps, input: DecideInput): Promise<ApprovalRequest> {
  const { store, audit } = deps.stores;
  requireDecider(input);
  const approval = store.get(input.approvalId);
  if (!approval) {
    throw new SecureSphereError(ERROR_CODES.APPROVAL_NOT_FOUND, `No approval request with id ${input.approvalId}: list them with \`securesphere approvals list\`.`);
  }
  if (approval.status !== 'pending') throw alreadyDecided(approval);
  if (approval.expiresAt.getTime() <= deps.now()) {
    await deps.expiry.expireOne(approval);
    throw alreadyDecided(store.get(approval.id)!);
  }
  const scope = vetDecision(approval, input, deps.config, audit);

  const status = input.decision === 'approve' ? 'approved' : 'denied';
  const decided = commitDecision(deps.stores, approval, { approver: input.approver, status, scope, channel: input.channel }, deps.now());
  if (!decided) {
    const current = store.get(approval.id)!;
    // Still pending means it ran out of time between the check and the write.
    if (current.status === 'pending') await deps.expiry.expireOne(current);
    throw alreadyDecided(store.get(approval.id)!);
  }
  await deps.prompts.show(decided);
  deps.notify(decided);
  return decided;
}
