// Actions (skill execution requests) and their stored state transitions.
// A transition is a compare-and-set on the current status, so two racing callers cannot both
// move an action out of the same state: that is what makes execution exactly-once.
import type { ActionRequest, ActionStatus, SecurityLevel } from '../core/types.js';
import type { Db } from './database.js';

interface ActionRow {
  id: string;
  conversation_id: string;
  kind: 'skill_execution';
  skill: string;
  operation: string;
  arguments: string;
  security_level: SecurityLevel;
  status: ActionStatus;
  requester: string;
  tool_call_id: string | null;
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export interface ActionTransition {
  fromStatus: ActionStatus | null;
  toStatus: ActionStatus;
  at: number;
  note: string | null;
}

export type NewAction = Pick<
  ActionRequest,
  'id' | 'conversationId' | 'skill' | 'operation' | 'arguments' | 'securityLevel' | 'requester' | 'toolCallId'
> & { status?: ActionStatus };

export class ActionStore {
  private readonly insert;
  private readonly insertTransition;
  private readonly selectOne;
  private readonly casStatus;
  private readonly selectTransitions;
  private readonly selectByStatus;
  private readonly selectByConversation;
  private readonly selectToResume;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO actions (id, conversation_id, kind, skill, operation, arguments, security_level, status, requester, tool_call_id, created_at, updated_at)
       VALUES (?, ?, 'skill_execution', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertTransition = db.prepare(
      'INSERT INTO action_transitions (action_id, from_status, to_status, at, note) VALUES (?, ?, ?, ?, ?)',
    );
    this.selectOne = db.prepare('SELECT * FROM actions WHERE id = ?');
    this.casStatus = db.prepare(
      `UPDATE actions SET status = @to, updated_at = @at,
         result = COALESCE(@result, result), error = COALESCE(@error, error), security_level = COALESCE(@level, security_level)
       WHERE id = @id AND status = @from`,
    );
    this.selectTransitions = db.prepare(
      'SELECT from_status, to_status, at, note FROM action_transitions WHERE action_id = ? ORDER BY id',
    );
    this.selectByStatus = db.prepare('SELECT * FROM actions WHERE status = ? ORDER BY created_at');
    this.selectByConversation = db.prepare('SELECT * FROM actions WHERE conversation_id = ? ORDER BY created_at');
    // One query instead of loading every finished action ever: approved ones, and decided or
    // finished ones whose tool result never reached the conversation (a crash in between).
    this.selectToResume = db.prepare(
      `SELECT DISTINCT a.conversation_id AS id FROM actions a
       WHERE a.status = 'approved'
          OR (a.status IN ('denied', 'expired', 'failed', 'succeeded') AND a.tool_call_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = a.conversation_id AND m.tool_call_id = a.tool_call_id))`,
    );
  }

  create(action: NewAction, now = Date.now()): ActionRequest {
    const status = action.status ?? 'pending';
    this.db.transaction(() => {
      this.insert.run(
        action.id,
        action.conversationId,
        action.skill,
        action.operation,
        JSON.stringify(action.arguments ?? null),
        action.securityLevel,
        status,
        action.requester,
        action.toolCallId ?? null,
        now,
        now,
      );
      this.insertTransition.run(action.id, null, status, now, null);
    })();
    return this.get(action.id)!;
  }

  get(id: string): ActionRequest | undefined {
    const row = this.selectOne.get(id) as ActionRow | undefined;
    return row ? toAction(row) : undefined;
  }

  /**
   * Moves an action from `from` to `to` if and only if it is currently in `from`.
   * Returns false when another caller got there first.
   */
  transition(
    id: string,
    from: ActionStatus,
    to: ActionStatus,
    extra: { result?: unknown; error?: string; note?: string; securityLevel?: SecurityLevel } = {},
    now = Date.now(),
  ): boolean {
    return this.db.transaction(() => {
      const info = this.casStatus.run({
        id,
        from,
        to,
        at: now,
        result: extra.result === undefined ? null : JSON.stringify(extra.result),
        error: extra.error ?? null,
        level: extra.securityLevel ?? null,
      });
      if (info.changes !== 1) return false;
      this.insertTransition.run(id, from, to, now, extra.note ?? null);
      return true;
    })();
  }

  transitions(id: string): ActionTransition[] {
    return (
      this.selectTransitions.all(id) as Array<{ from_status: ActionStatus | null; to_status: ActionStatus; at: number; note: string | null }>
    ).map((r) => ({ fromStatus: r.from_status, toStatus: r.to_status, at: r.at, note: r.note }));
  }

  byStatus(status: ActionStatus): ActionRequest[] {
    return (this.selectByStatus.all(status) as ActionRow[]).map(toAction);
  }

  /** Conversations a restart must continue (see orchestrator.recover). */
  conversationsToResume(): string[] {
    return (this.selectToResume.all() as Array<{ id: string }>).map((r) => r.id);
  }

  byConversation(conversationId: string): ActionRequest[] {
    return (this.selectByConversation.all(conversationId) as ActionRow[]).map(toAction);
  }
}

function toAction(row: ActionRow): ActionRequest {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    kind: row.kind,
    skill: row.skill,
    operation: row.operation,
    arguments: JSON.parse(row.arguments) as unknown,
    securityLevel: row.security_level,
    status: row.status,
    requester: row.requester,
    ...(row.tool_call_id ? { toolCallId: row.tool_call_id } : {}),
    ...(row.result !== null ? { result: JSON.parse(row.result) as unknown } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
