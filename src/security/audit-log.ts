// One interface for writing audit events. The implementation is a tamper-evident hash chain
// (security/audit-chain.ts); callers only append. Details must already be secret-free, and
// the implementation redacts known secret values again as a second line of defence.

export interface AuditEventInput {
  /** Noun-verb event type, e.g. "message-received", "tool-call", "approval-granted". */
  type: string;
  actor: string;
  conversationId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditEvent extends AuditEventInput {
  seq: number;
  time: string;
  prevHash: string;
  hash: string;
}

export interface AuditLog {
  append(event: AuditEventInput): AuditEvent;
}
