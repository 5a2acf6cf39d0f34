// The agents table: one row per agent (container or bubblewrap process) with its lifecycle
// state and times. Pool agents have no conversation until claimed.
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

export const AGENT_STATES = ['pending', 'creating', 'running', 'paused', 'stopping', 'stopped', 'error'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export interface AgentRecord {
  id: string;
  conversationId: string | null;
  backend: string;
  runtime: string | null;
  containerId: string | null;
  state: AgentState;
  createdAt: number;
  startedAt: number | null;
  stoppedAt: number | null;
  lastUsedAt: number | null;
  exitCode: number | null;
  error: string | null;
}

interface Row {
  id: string;
  conversation_id: string | null;
  backend: string;
  runtime: string | null;
  container_id: string | null;
  state: AgentState;
  created_at: number;
  started_at: number | null;
  stopped_at: number | null;
  last_used_at: number | null;
  exit_code: number | null;
  error: string | null;
}

const toRecord = (r: Row): AgentRecord => ({
  id: r.id,
  conversationId: r.conversation_id,
  backend: r.backend,
  runtime: r.runtime,
  containerId: r.container_id,
  state: r.state,
  createdAt: r.created_at,
  startedAt: r.started_at,
  stoppedAt: r.stopped_at,
  lastUsedAt: r.last_used_at,
  exitCode: r.exit_code,
  error: r.error,
});

export type AgentPatch = Partial<Pick<AgentRecord, 'conversationId' | 'containerId' | 'state' | 'startedAt' | 'stoppedAt' | 'lastUsedAt' | 'exitCode' | 'error'>>;

const COLUMNS: Record<keyof AgentPatch, string> = {
  conversationId: 'conversation_id',
  containerId: 'container_id',
  state: 'state',
  startedAt: 'started_at',
  stoppedAt: 'stopped_at',
  lastUsedAt: 'last_used_at',
  exitCode: 'exit_code',
  error: 'error',
};

export class AgentStore {
  // Statements are compiled once per SQL text (update() builds a few column sets; every exec
  // stamps last_used_at), not on every call.
  private readonly statements = new Map<string, Statement<unknown[]>>();

  constructor(private readonly db: Db) {}

  private sql(text: string): Statement<unknown[]> {
    let statement = this.statements.get(text);
    if (!statement) this.statements.set(text, (statement = this.db.prepare(text)));
    return statement;
  }

  insert(rec: Pick<AgentRecord, 'id' | 'conversationId' | 'backend' | 'runtime'> & { state?: AgentState; createdAt?: number }): AgentRecord {
    const now = rec.createdAt ?? Date.now();
    this
      .sql('INSERT INTO agents (id, conversation_id, backend, runtime, state, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(rec.id, rec.conversationId, rec.backend, rec.runtime, rec.state ?? 'pending', now);
    return this.get(rec.id)!;
  }

  update(id: string, patch: AgentPatch): void {
    const keys = (Object.keys(patch) as Array<keyof AgentPatch>).filter((k) => Object.prototype.hasOwnProperty.call(COLUMNS, k));
    if (keys.length === 0) return;
    const sets = keys.map((k) => `${COLUMNS[k]} = @${k}`).join(', ');
    this.sql(`UPDATE agents SET ${sets} WHERE id = @id`).run({ ...Object.fromEntries(keys.map((k) => [k, patch[k] ?? null])), id });
  }

  get(id: string): AgentRecord | undefined {
    const row = this.sql('SELECT * FROM agents WHERE id = ?').get(id) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** Agents that are not finished (anything but stopped/error), newest first. */
  active(): AgentRecord[] {
    return (this.sql("SELECT * FROM agents WHERE state NOT IN ('stopped','error') ORDER BY created_at DESC").all() as Row[]).map(toRecord);
  }

  list(opts: { limit?: number; includeFinished?: boolean } = {}): AgentRecord[] {
    const where = opts.includeFinished === false ? "WHERE state NOT IN ('stopped','error')" : '';
    return (this.sql(`SELECT * FROM agents ${where} ORDER BY created_at DESC LIMIT ?`).all(opts.limit ?? 500) as Row[]).map(toRecord);
  }

  forConversation(conversationId: string): AgentRecord[] {
    return (this.sql('SELECT * FROM agents WHERE conversation_id = ? ORDER BY created_at DESC').all(conversationId) as Row[]).map(toRecord);
  }
}
