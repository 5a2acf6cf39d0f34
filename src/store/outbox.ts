// The durable outbox: every outbound message and every prompt edit is a row here before any
// platform sees it. Rows of one conversation are delivered strictly in seq order (only the
// oldest pending row of a conversation is ever eligible). A row is never deleted; it ends
// delivered (with the platform message id) or failed (a permanent refusal).
import type { ApprovalPrompt } from '../core/types.js';
import type { Db } from './database.js';

export interface OutboxEntry {
  seq: number;
  channel: string;
  conversationId: string;
  platformConversationId: string;
  threadId?: string;
  kind: 'send' | 'edit';
  text: string;
  approval?: ApprovalPrompt;
  approvalId?: string;
  /** For an edit: the seq of the sent entry whose platform message it replaces. */
  editOf?: number;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  platformMessageId?: string;
  lastError?: string;
  createdAt: number;
}

export type NewOutboxEntry = Pick<OutboxEntry, 'channel' | 'conversationId' | 'platformConversationId' | 'threadId' | 'kind' | 'text' | 'approval' | 'approvalId' | 'editOf'>;

interface Row {
  seq: number;
  channel: string;
  conversation_id: string;
  platform_conversation_id: string;
  thread_id: string;
  kind: 'send' | 'edit';
  text: string;
  approval: string | null;
  approval_id: string | null;
  edit_of: number | null;
  state: OutboxEntry['state'];
  attempts: number;
  next_attempt_at: number;
  platform_message_id: string | null;
  last_error: string | null;
  created_at: number;
}

export class OutboxStore {
  private readonly insert;
  private readonly selectHeads;
  private readonly selectOne;
  private readonly delivered;
  private readonly retry;
  private readonly failed;
  private readonly countPending;
  private readonly selectCopies;
  private readonly pruneStmt;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO outbox (channel, conversation_id, platform_conversation_id, thread_id, kind, text, approval, approval_id, edit_of, state, attempts, next_attempt_at, created_at)
       VALUES (@channel, @conversation_id, @platform_conversation_id, @thread_id, @kind, @text, @approval, @approval_id, @edit_of, 'pending', 0, @now, @now)`,
    );
    // The oldest pending row of each conversation of a channel: the only deliverable ones.
    this.selectHeads = db.prepare(
      `SELECT o.* FROM outbox o JOIN (SELECT MIN(seq) AS seq FROM outbox WHERE channel = ? AND state = 'pending' GROUP BY conversation_id) h ON o.seq = h.seq ORDER BY o.seq`,
    );
    this.selectOne = db.prepare('SELECT * FROM outbox WHERE seq = ?');
    this.delivered = db.prepare("UPDATE outbox SET state = 'delivered', platform_message_id = ?, delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE seq = ? AND state = 'pending'");
    this.retry = db.prepare("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE seq = ? AND state = 'pending'");
    this.failed = db.prepare("UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE seq = ? AND state = 'pending'");
    this.countPending = db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE channel = ? AND state = 'pending'");
    // Finished rows older than `before`, except a message a younger edit still points at.
    this.pruneStmt = db.prepare(
      `DELETE FROM outbox WHERE state != 'pending' AND created_at < @before
         AND seq NOT IN (SELECT edit_of FROM outbox WHERE edit_of IS NOT NULL AND (created_at >= @before OR state = 'pending'))`,
    );
    this.selectCopies = db.prepare("SELECT * FROM outbox WHERE approval_id = ? AND kind = 'send' AND approval IS NOT NULL AND state != 'failed' ORDER BY seq");
  }

  /** Appends entries in order, in one transaction; returns them with their seq. */
  enqueue(entries: readonly NewOutboxEntry[], now = Date.now()): OutboxEntry[] {
    return this.db.transaction(() =>
      entries.map((e) => {
        const info = this.insert.run({
          channel: e.channel,
          conversation_id: e.conversationId,
          platform_conversation_id: e.platformConversationId,
          thread_id: e.threadId ?? '',
          kind: e.kind,
          text: e.text,
          approval: e.approval ? JSON.stringify(e.approval) : null,
          approval_id: e.approvalId ?? null,
          edit_of: e.editOf ?? null,
          now,
        });
        return this.get(Number(info.lastInsertRowid))!;
      }),
    )();
  }

  heads(channel: string): OutboxEntry[] {
    return (this.selectHeads.all(channel) as Row[]).map(toEntry);
  }

  get(seq: number): OutboxEntry | undefined {
    const row = this.selectOne.get(seq) as Row | undefined;
    return row ? toEntry(row) : undefined;
  }

  markDelivered(seq: number, platformMessageId: string, now = Date.now()): void {
    this.delivered.run(platformMessageId, now, seq);
  }

  markRetry(seq: number, nextAttemptAt: number, error: string): void {
    this.retry.run(nextAttemptAt, error, seq);
  }

  markFailed(seq: number, error: string): void {
    this.failed.run(error, seq);
  }

  /** Forgets delivered and failed rows created before `before`; returns how many. */
  prune(before: number): number {
    return this.pruneStmt.run({ before }).changes;
  }

  backlog(channel: string): number {
    return (this.countPending.get(channel) as { n: number }).n;
  }

  /** Every sent (or still pending) copy of an approval prompt, oldest first. */
  promptCopies(approvalId: string): OutboxEntry[] {
    return (this.selectCopies.all(approvalId) as Row[]).map(toEntry);
  }
}

function toEntry(row: Row): OutboxEntry {
  return {
    seq: row.seq,
    channel: row.channel,
    conversationId: row.conversation_id,
    platformConversationId: row.platform_conversation_id,
    ...(row.thread_id ? { threadId: row.thread_id } : {}),
    kind: row.kind,
    text: row.text,
    ...(row.approval ? { approval: reviveApproval(row.approval) } : {}),
    ...(row.approval_id ? { approvalId: row.approval_id } : {}),
    ...(row.edit_of !== null ? { editOf: row.edit_of } : {}),
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    ...(row.platform_message_id !== null ? { platformMessageId: row.platform_message_id } : {}),
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    createdAt: row.created_at,
  };
}

function reviveApproval(json: string): ApprovalPrompt {
  const raw = JSON.parse(json) as ApprovalPrompt & { expiresAt: string; outcome?: { at: string } };
  return {
    ...raw,
    expiresAt: new Date(raw.expiresAt),
    ...(raw.outcome ? { outcome: { ...raw.outcome, at: new Date(raw.outcome.at) } } : {}),
  } as ApprovalPrompt;
}
