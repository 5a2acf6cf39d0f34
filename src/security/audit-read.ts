// Read-only views of the audit chain (tail, paging, JSONL export). They need only the
// database, not the signing key, so the CLI and the API can use them without it.
import type { Db } from '../store/database.js';
import type { AuditEvent } from './audit-log.js';
import { rowToEvent, type AuditEventRow } from './audit-format.js';

export const MAX_AUDIT_PAGE = 1000;

export interface AuditListOptions {
  /** Return events with seq strictly greater than this (default 0: from the start). */
  after?: number;
  /** At most this many (default 100, capped at 1000). */
  limit?: number;
}

const clampLimit = (n: number | undefined, fallback: number): number =>
  Math.max(1, Math.min(MAX_AUDIT_PAGE, Math.floor(n ?? fallback)));

export function listAuditEvents(db: Db, options: AuditListOptions = {}): AuditEvent[] {
  const after = Math.max(0, Math.floor(options.after ?? 0));
  const rows = db
    .prepare('SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?')
    .all(after, clampLimit(options.limit, 100)) as AuditEventRow[];
  return rows.map(rowToEvent);
}

/** The last n events, oldest first. */
export function tailAuditEvents(db: Db, n = 20): AuditEvent[] {
  const rows = db
    .prepare('SELECT * FROM audit_events ORDER BY seq DESC LIMIT ?')
    .all(clampLimit(n, 20)) as AuditEventRow[];
  return rows.reverse().map(rowToEvent);
}

/** One JSON line per event (no trailing newline), in seq order, read page by page. */
export function* exportAuditJsonl(db: Db, pageSize = 500): Generator<string> {
  let after = 0;
  for (;;) {
    const page = listAuditEvents(db, { after, limit: pageSize });
    for (const event of page) yield JSON.stringify(event);
    const last = page.at(-1);
    if (!last || page.length < pageSize) return;
    after = last.seq;
  }
}
