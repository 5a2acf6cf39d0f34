// Approval requests and "allow for this conversation" grants.
// Every decision is a compare-and-set on the approval's status (pending → approved | denied |
// expired), so two approvers pressing at once, on two channels or in two processes, cannot both
// decide the same request: that, together with the action's own CAS, is what makes an
// approved action run exactly once.
import type { ApprovalRequest, ApprovalScope, ApprovalStatus, SecurityLevel } from '../core/types.js';
import type { Db } from './database.js';

interface ApprovalRow {
  id: string;
  action_id: string;
  conversation_id: string;
  skill: string;
  operation: string;
  canonical_arguments: string;
  arguments_hash: string;
  security_level: SecurityLevel;
  requester: string;
  approvers: string;
  status: ApprovalStatus;
  decided_by: string | null;
  decided_at: number | null;
  scope: ApprovalScope | null;
  created_at: number;
  expires_at: number;
  channel: string | null;
  platform_message_id: string | null;
}

interface GrantRow {
  id: string;
  conversation_id: string;
  skill: string;
  operation: string;
  granted_by: string;
  granted_for: string | null;
  created_at: number;
  revoked_at: number | null;
}

/** A stored "allow this skill operation for the rest of the conversation". */
export interface ConversationGrant {
  id: string;
  conversationId: string;
  skill: string;
  operation: string;
  grantedBy: string;
  /** Whose requests it covers (the requester of the approved step); absent on grants from before owners existed. */
  grantedFor?: string;
  createdAt: Date;
  revokedAt?: Date;
}

/** What the policy engine needs to know about grants, and nothing more. */
export interface GrantLookup {
  /** The live grant covering `identity`'s requests for this operation in this conversation. */
  activeGrant(conversationId: string, skill: string, operation: string, identity: string): ConversationGrant | undefined;
}

export type NewApproval = Omit<ApprovalRequest, 'status' | 'decidedBy' | 'decidedAt' | 'scope' | 'platformMessageId'>;

export class ApprovalStore implements GrantLookup {
  private readonly insert;
  private readonly selectOne;
  private readonly selectByStatus;
  private readonly selectAll;
  private readonly selectByAction;
  private readonly selectDue;
  private readonly casDecision;
  private readonly updateMessage;
  private readonly insertGrant;
  private readonly selectGrant;
  private readonly selectActiveGrant;
  private readonly selectGrants;
  private readonly revoke;
  private readonly countPendingIn;
  private readonly countPendingBy;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO approvals (id, action_id, conversation_id, skill, operation, canonical_arguments, arguments_hash,
         security_level, requester, approvers, status, created_at, expires_at, channel)
       VALUES (@id, @action_id, @conversation_id, @skill, @operation, @canonical_arguments, @arguments_hash,
         @security_level, @requester, @approvers, 'pending', @created_at, @expires_at, @channel)`,
    );
    this.selectOne = db.prepare('SELECT * FROM approvals WHERE id = ?');
    this.selectByStatus = db.prepare('SELECT * FROM approvals WHERE status = ? ORDER BY created_at, id');
    this.selectAll = db.prepare('SELECT * FROM approvals ORDER BY created_at, id');
    this.selectByAction = db.prepare('SELECT * FROM approvals WHERE action_id = ? ORDER BY created_at, id');
    this.selectDue = db.prepare(
      "SELECT * FROM approvals WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at, id",
    );
    // Decisions other than expiry only succeed while the request has not run out of time.
    this.casDecision = db.prepare(
      `UPDATE approvals SET status = @to, decided_by = @by, decided_at = @at, scope = @scope
       WHERE id = @id AND status = 'pending' AND (@to = 'expired' OR expires_at > @at)`,
    );
    this.updateMessage = db.prepare('UPDATE approvals SET channel = ?, platform_message_id = ? WHERE id = ?');
    this.insertGrant = db.prepare(
      `INSERT INTO conversation_grants (id, conversation_id, skill, operation, granted_by, granted_for, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectGrant = db.prepare('SELECT * FROM conversation_grants WHERE id = ?');
    this.selectActiveGrant = db.prepare(
      `SELECT * FROM conversation_grants
       WHERE conversation_id = ? AND skill = ? AND operation = ? AND revoked_at IS NULL AND (granted_for IS NULL OR granted_for = ?)
       ORDER BY created_at DESC, id DESC LIMIT 1`,
    );
    this.selectGrants = db.prepare(
      'SELECT * FROM conversation_grants WHERE conversation_id = ? ORDER BY created_at, id',
    );
    this.revoke = db.prepare('UPDATE conversation_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    this.countPendingIn = db.prepare("SELECT COUNT(*) AS n FROM approvals WHERE status = 'pending' AND conversation_id = ?");
    this.countPendingBy = db.prepare("SELECT COUNT(*) AS n FROM approvals WHERE status = 'pending' AND requester = ?");
  }

  /** Pending requests in one conversation, and pending requests asked by one identity (anywhere). */
  pendingCounts(conversationId: string, requester: string): { conversation: number; identity: number } {
    return {
      conversation: (this.countPendingIn.get(conversationId) as { n: number }).n,
      identity: (this.countPendingBy.get(requester) as { n: number }).n,
    };
  }

  create(approval: NewApproval): ApprovalRequest {
    this.insert.run({
      id: approval.id,
      action_id: approval.actionId,
      conversation_id: approval.conversationId,
      skill: approval.skill,
      operation: approval.operation,
      canonical_arguments: approval.canonicalArguments,
      arguments_hash: approval.argumentsHash,
      security_level: approval.securityLevel,
      requester: approval.requester,
      approvers: JSON.stringify(approval.approvers),
      created_at: approval.createdAt.getTime(),
      expires_at: approval.expiresAt.getTime(),
      channel: approval.channel ?? null,
    });
    return this.get(approval.id)!;
  }

  get(id: string): ApprovalRequest | undefined {
    const row = this.selectOne.get(id) as ApprovalRow | undefined;
    return row ? toApproval(row) : undefined;
  }

  list(status?: ApprovalStatus): ApprovalRequest[] {
    const rows = (status ? this.selectByStatus.all(status) : this.selectAll.all()) as ApprovalRow[];
    return rows.map(toApproval);
  }

  byAction(actionId: string): ApprovalRequest[] {
    return (this.selectByAction.all(actionId) as ApprovalRow[]).map(toApproval);
  }

  /** Pending requests whose expiry time is at or before `now`. */
  due(now: number): ApprovalRequest[] {
    return (this.selectDue.all(now) as ApprovalRow[]).map(toApproval);
  }

  /**
   * Moves a pending request to its decision if and only if it is still pending (and, for
   * approve/deny, not yet past its expiry). Returns false when someone else decided first.
   */
  decide(id: string, to: Exclude<ApprovalStatus, 'pending'>, by: string | null, at: number, scope?: ApprovalScope): boolean {
    return this.casDecision.run({ id, to, by, at, scope: scope ?? null }).changes === 1;
  }

  setMessage(id: string, channel: string | null, platformMessageId: string | null): void {
    this.updateMessage.run(channel, platformMessageId, id);
  }

  createGrant(grant: { id: string; conversationId: string; skill: string; operation: string; grantedBy: string; grantedFor: string }, now: number): ConversationGrant {
    this.insertGrant.run(grant.id, grant.conversationId, grant.skill, grant.operation, grant.grantedBy, grant.grantedFor, now);
    return this.getGrant(grant.id)!;
  }

  getGrant(id: string): ConversationGrant | undefined {
    const row = this.selectGrant.get(id) as GrantRow | undefined;
    return row ? toGrant(row) : undefined;
  }

  activeGrant(conversationId: string, skill: string, operation: string, identity: string): ConversationGrant | undefined {
    const row = this.selectActiveGrant.get(conversationId, skill, operation, identity) as GrantRow | undefined;
    return row ? toGrant(row) : undefined;
  }

  /** Every grant of a conversation, revoked ones included (they carry revokedAt). */
  grants(conversationId: string): ConversationGrant[] {
    return (this.selectGrants.all(conversationId) as GrantRow[]).map(toGrant);
  }

  /** Returns false when the grant does not exist or was already revoked. */
  revokeGrant(id: string, now: number): boolean {
    return this.revoke.run(now, id).changes === 1;
  }

  /** Runs `fn` in one SQLite transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

function toApproval(row: ApprovalRow): ApprovalRequest {
  return {
    id: row.id,
    actionId: row.action_id,
    conversationId: row.conversation_id,
    skill: row.skill,
    operation: row.operation,
    canonicalArguments: row.canonical_arguments,
    argumentsHash: row.arguments_hash,
    securityLevel: row.security_level,
    requester: row.requester,
    approvers: JSON.parse(row.approvers) as string[],
    status: row.status,
    ...(row.decided_by !== null ? { decidedBy: row.decided_by } : {}),
    ...(row.decided_at !== null ? { decidedAt: new Date(row.decided_at) } : {}),
    ...(row.scope !== null ? { scope: row.scope } : {}),
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    ...(row.channel !== null ? { channel: row.channel } : {}),
    ...(row.platform_message_id !== null ? { platformMessageId: row.platform_message_id } : {}),
  };
}

function toGrant(row: GrantRow): ConversationGrant {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    skill: row.skill,
    operation: row.operation,
    grantedBy: row.granted_by,
    ...(row.granted_for !== null ? { grantedFor: row.granted_for } : {}),
    createdAt: new Date(row.created_at),
    ...(row.revoked_at !== null ? { revokedAt: new Date(row.revoked_at) } : {}),
  };
}
