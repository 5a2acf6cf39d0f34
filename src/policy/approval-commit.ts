// The state changes of an approval request, each one SQLite transaction together with its
// audit event: a request is never shown unless stored and audited, and a decision or expiry
// never lands without the action moving with it (both compare-and-set) and its audit event.
// If any step fails, the whole transaction rolls back and nothing half-decided remains.
import { canonicalJson, sha256Hex } from '../core/canonical-json.js';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { ActionRequest, ApprovalRequest, ApprovalScope } from '../core/types.js';
import type { AuditLog } from '../security/audit-log.js';
import type { ActionStore } from '../store/actions.js';
import type { ApprovalStore } from '../store/approvals.js';
import type { PolicyDecision } from './policy-types.js';

export interface CommitStores {
  store: ApprovalStore;
  actions: ActionStore;
  audit: AuditLog;
}

export function commitRequest(
  { store, audit }: CommitStores,
  action: ActionRequest,
  decision: Extract<PolicyDecision, { decision: 'require_approval' }>,
  channel: string,
  createdAt: number,
  ttlMs: number,
): ApprovalRequest {
  const canonicalArguments = canonicalJson(action.arguments ?? null);
  return store.transaction(() => {
    const created = store.create({
      id: newId('apr'),
      actionId: action.id,
      conversationId: action.conversationId,
      skill: action.skill,
      operation: action.operation,
      canonicalArguments,
      argumentsHash: sha256Hex(canonicalArguments),
      securityLevel: decision.level,
      requester: action.requester,
      approvers: [...decision.approvers],
      createdAt: new Date(createdAt),
      expiresAt: new Date(createdAt + ttlMs),
      channel,
    });
    audit.append({
      type: 'approval-requested',
      actor: action.requester,
      conversationId: action.conversationId,
      details: {
        approvalId: created.id, actionId: action.id, skill: action.skill, operation: action.operation,
        level: decision.level, argumentsHash: created.argumentsHash, approvers: created.approvers,
        expiresAt: created.expiresAt.toISOString(), channel, reason: decision.reason,
      },
    });
    return created;
  });
}

/** Returns the decided request, or undefined when it was no longer pending (or ran out of time). */
export function commitDecision(
  { store, actions, audit }: CommitStores,
  approval: ApprovalRequest,
  input: { approver: string; status: 'approved' | 'denied'; scope: ApprovalScope; channel?: string },
  at: number,
): ApprovalRequest | undefined {
  const { approver, status, scope } = input;
  return store.transaction(() => {
    if (!store.decide(approval.id, status, approver, at, scope)) return undefined;
    const moved = actions.transition(
      approval.actionId,
      'awaiting_approval',
      status,
      status === 'denied'
        ? { error: `Not run: denied by ${approver}.`, note: `approval ${approval.id} denied by ${approver}` }
        : { note: `approval ${approval.id} approved by ${approver}` },
      at,
    );
    if (!moved) {
      const current = actions.get(approval.actionId)?.status ?? 'missing';
      // Throwing rolls the approval's CAS back too.
      throw new SecureSphereError(ERROR_CODES.APPROVAL_ALREADY_DECIDED, `The step behind approval ${approval.id} is no longer waiting for a decision (it is ${current}).`);
    }
    const common = { approvalId: approval.id, actionId: approval.actionId, skill: approval.skill, operation: approval.operation, level: approval.securityLevel, argumentsHash: approval.argumentsHash, channel: input.channel ?? null };
    audit.append({ type: status === 'approved' ? 'approval-granted' : 'approval-denied', actor: approver, conversationId: approval.conversationId, details: { ...common, scope } });
    if (status === 'approved' && scope === 'conversation') {
      const grant = store.createGrant({ id: newId('grt'), conversationId: approval.conversationId, skill: approval.skill, operation: approval.operation, grantedBy: approver, grantedFor: approval.requester }, at);
      audit.append({ type: 'grant-created', actor: approver, conversationId: approval.conversationId, details: { grantId: grant.id, approvalId: approval.id, skill: grant.skill, operation: grant.operation } });
    }
    return store.get(approval.id)!;
  });
}

/** Returns the expired request, or undefined when someone decided it first. */
export function commitExpiry({ store, actions, audit }: CommitStores, approval: ApprovalRequest, at: number): ApprovalRequest | undefined {
  return store.transaction(() => {
    if (!store.decide(approval.id, 'expired', null, at)) return undefined;
    actions.transition(
      approval.actionId,
      'awaiting_approval',
      'expired',
      { error: `Not run: approval ${approval.id} expired at ${approval.expiresAt.toISOString()} without a decision.`, note: `approval ${approval.id} expired` },
      at,
    );
    audit.append({
      type: 'approval-expired',
      actor: 'system',
      conversationId: approval.conversationId,
      details: { approvalId: approval.id, actionId: approval.actionId, skill: approval.skill, operation: approval.operation, level: approval.securityLevel },
    });
    return store.get(approval.id)!;
  });
}
