// The durable outbox: every outbound message and every prompt edit is a row here before any
// platform sees it. Rows of one conversation are delivered strictly in seq order (only the
// oldest pending row of a conversation is ever eligible). A row is never deleted; it ends
// delivered (with the platform message id) or failed (a permanent refusal). A streamed draft is
// a row the host posts itself (`draft` set, never pending), so the reply can edit it durably.
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
  /** Set on a streamed reply's draft (a row the host posted itself while the model wrote). */
  draft?: 'posting' | 'open' | 'closed';
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
  draft: OutboxEntry['draft'] | null;
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
  private readonly insertDraft;
  private readonly draftShown;
  private readonly draftClosed;
  private readonly draftTextStmt;
  private readonly draftNotPosted;
  private readonly selectOpenDrafts;
  private readonly countPendingIn;

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
    // A draft is never pending: the pump never sends it, only edits may point at it.
    this.insertDraft = db.prepare(
      `INSERT INTO outbox (channel, conversation_id, platform_conversation_id, thread_id, kind, text, state, attempts, next_attempt_at, created_at, draft)
       VALUES (@channel, @conversation_id, @platform_conversation_id, @thread_id, 'send', @text, 'delivered', 0, @now, @now, 'posting')`,
    );
    // A draft whose reply was queued while it was being posted is already closed: its id still counts.
    this.draftShown = db.prepare(
      "UPDATE outbox SET draft = CASE draft WHEN 'posting' THEN 'open' ELSE draft END, platform_message_id = ?, delivered_at = ?, attempts = 1 WHERE seq = ? AND draft IS NOT NULL AND state = 'delivered' AND platform_message_id IS NULL",
    );
    this.draftClosed = db.prepare("UPDATE outbox SET draft = 'closed' WHERE seq = ? AND draft IN ('posting','open')");
    this.draftNotPosted = db.prepare("UPDATE outbox SET draft = 'closed', state = 'failed', attempts = 1, last_error = ? WHERE seq = ? AND draft IS NOT NULL AND platform_message_id IS NULL");
    this.draftTextStmt = db.prepare("UPDATE outbox SET text = ? WHERE seq = ? AND draft = 'open'");
    this.selectOpenDrafts = db.prepare("SELECT * FROM outbox WHERE draft IN ('posting','open') ORDER BY seq");
    this.countPendingIn = db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE channel = ? AND conversation_id = ? AND state = 'pending'");
    this.selectCopies = db.prepare("SELECT * FROM outbox WHERE approval_id = ? AND kind = 'send' AND approval IS NOT NULL AND state != 'failed' ORDER BY seq");
  }

  /**
   * Appends entries in order, in one transaction; returns them with their seq. `closeDraft`:
   * the draft these entries replace is closed in the same transaction (so a restart never
   * treats a replaced draft as interrupted, nor loses the reply that replaces it).
   */
  enqueue(entries: readonly NewOutboxEntry[], now = Date.now(), closeDraft?: number): OutboxEntry[] {
    return this.db.transaction(() => {
      if (closeDraft !== undefined) this.draftClosed.run(closeDraft);
      return entries.map((e) => {
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
      });
    })();
  }

  /** Records a draft about to be posted (before the platform sees it, so a crash leaves a trace). */
  startDraft(target: Pick<OutboxEntry, 'channel' | 'conversationId' | 'platformConversationId' | 'threadId'>, text: string, now = Date.now()): number {
    const info = this.insertDraft.run({
      channel: target.channel,
      conversation_id: target.conversationId,
      platform_conversation_id: target.platformConversationId,
      thread_id: target.threadId ?? '',
      text,
      now,
    });
    return Number(info.lastInsertRowid);
  }

  /** The draft is on the platform as this message. */
  draftPosted(seq: number, platformMessageId: string, now = Date.now()): void {
    this.draftShown.run(platformMessageId, now, seq);
  }

  /** The text a draft shows now (what a restart marks interrupted). */
  draftText(seq: number, text: string): void {
    this.draftTextStmt.run(text, seq);
  }

  /** The platform refused the draft: the row ends failed (the reply goes out as usual). */
  draftFailed(seq: number, error: string): void {
    this.draftNotPosted.run(error, seq);
  }

  closeDraft(seq: number): void {
    this.draftClosed.run(seq);
  }

  /** Drafts neither replaced nor closed: after a restart, what a crash interrupted. */
  openDrafts(): OutboxEntry[] {
    return (this.selectOpenDrafts.all() as Row[]).map(toEntry);
  }

  /** Rows of one conversation still waiting to go out. */
  pendingIn(channel: string, conversationId: string): number {
    return (this.countPendingIn.get(channel, conversationId) as { n: number }).n;
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
    ...(row.draft ? { draft: row.draft } : {}),
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
