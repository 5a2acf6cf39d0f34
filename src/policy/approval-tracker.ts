// Runs the "continue the conversation" callback after each decision or expiry without making
// the decider wait for it, and lets shutdown and tests wait until every such call has finished.
// A failing callback is reported to onError; it never fails the decision that triggered it.
import type { ApprovalRequest } from '../core/types.js';

export interface DecisionTracker {
  notify(approval: ApprovalRequest): void;
  settled(): Promise<void>;
}

export function createDecisionTracker(onDecided: (approval: ApprovalRequest) => unknown, onError: (error: unknown, context: string) => void): DecisionTracker {
  const inflight = new Set<Promise<void>>();
  return {
    notify(approval) {
      let result: Promise<unknown>;
      try {
        result = Promise.resolve(onDecided(approval));
      } catch (error) {
        result = Promise.reject(error);
      }
      const tracked: Promise<void> = result
        .then(() => undefined)
        .catch((error: unknown) => onError(error, `continuing the conversation after approval ${approval.id} failed`))
        .finally(() => inflight.delete(tracked));
      inflight.add(tracked);
    },
    async settled() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
  };
}
