// Clearing a conversation's injection flags: once an approver has read the flagged text and
// judged it harmless, later steps of that conversation run at their normal levels again
// (otherwise the flag holds until the text leaves the history window). Only a configured
// approver or admin may clear, checked against the config the gateway runs with now; every
// clearing is an audit event. Who clears comes from the API body or `--as`, exactly as for
// approvals, never from message text. It never deletes or changes any stored message text.
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import type { AuditLog } from '../security/audit-log.js';
import type { ConversationStore } from '../store/conversations.js';
import type { Db } from '../store/database.js';
import type { PolicyConfig } from './policy-engine.js';

export interface FlagClearingDeps {
  db: Db;
  conversations: ConversationStore;
  audit: AuditLog;
  config: Pick<PolicyConfig, 'approvers' | 'admins'>;
}

export interface ClearedFlags {
  conversationId: string;
  /** Flagged messages cleared by this call (0 when there was nothing to clear). */
  cleared: number;
  clearedBy: string;
}

export interface FlagClearing {
  clear(input: { conversationId: string; by: string; channel: string }): ClearedFlags;
}

export function createFlagClearing(deps: FlagClearingDeps): FlagClearing {
  return {
    clear({ conversationId, by, channel }) {
      if (typeof by !== 'string' || by.trim() === '' || by.length > 512) {
        throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, 'Say who clears the flag: a non-empty user id (at most 512 characters).');
      }
      if (!deps.conversations.exists(conversationId)) {
        throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No conversation with id ${conversationId}.`);
      }
      if (!deps.config.approvers.includes(by) && !deps.config.admins.includes(by)) {
        deps.audit.append({ type: 'conversation-flag-clear-refused', actor: by, conversationId, details: { channel } });
        throw new SecureSphereError(
          ERROR_CODES.APPROVAL_NOT_ALLOWED,
          `${by} may not clear the injection flag of ${conversationId}: only a configured approver or admin (policy.approvers, policy.admins) may.`,
        );
      }
      return deps.db.transaction(() => {
        const cleared = deps.conversations.clearFlags(conversationId);
        deps.audit.append({ type: 'conversation-flag-cleared', actor: by, conversationId, details: { cleared, channel } });
        return { conversationId, cleared, clearedBy: by };
      })();
    },
  };
}
