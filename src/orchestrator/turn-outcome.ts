// What one turn produced, in the shape the HTTP API returns.
import type { ActionStatus, SecurityLevel } from '../core/types.js';

export interface TurnOutcome {
  conversationId: string;
  status: 'completed' | 'awaiting_approval' | 'failed' | 'duplicate' | 'rate_limited';
  /** `profile`/`model`: which provider profile answered (set when a model wrote the reply). */
  reply?: { text: string; profile?: string; model?: string };
  actions: Array<{ id: string; skill: string; operation: string; status: ActionStatus; security_level: SecurityLevel }>;
  pendingApprovals: Array<{ id: string; action_id: string; summary: string }>;
  /** Set when status is rate_limited. */
  retryAfterMs?: number;
}
