// Expiry of approval requests: a pending request past its expiry becomes expired (the step
// does not run), its prompt shows that, and its conversation is told. One sweep runs at a
// time (the timer and a direct call share it); the timer never keeps the process alive.
import type { ApprovalRequest } from '../core/types.js';
import type { ApprovalStore } from '../store/approvals.js';
import { commitExpiry, type CommitStores } from './approval-commit.js';

export interface ExpiryDeps {
  stores: CommitStores;
  now: () => number;
  /** Re-sends the request's prompt with its outcome. */
  showPrompt(approval: ApprovalRequest): Promise<void>;
  /** Tells the conversation (orchestrator resume) without waiting for it. */
  notify(approval: ApprovalRequest): void;
  onError: (error: unknown, context: string) => void;
  /** How often the sweep runs after start(); default 1 s. */
  sweepIntervalMs?: number;
}

export interface ExpirySweeper {
  /** Expires one request if it is still pending; undefined when something else settled it first. */
  expireOne(approval: ApprovalRequest): Promise<ApprovalRequest | undefined>;
  /** Marks every pending request past its expiry as expired; returns the ones it expired. */
  expireDue(): Promise<ApprovalRequest[]>;
  /** Sweeps once now, then on the timer. */
  start(): Promise<void>;
  /** Stops the timer and waits for a sweep still running. */
  stop(): Promise<void>;
}

export function createExpirySweeper(deps: ExpiryDeps): ExpirySweeper {
  const store: ApprovalStore = deps.stores.store;
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<ApprovalRequest[]> | undefined;

  async function expireOne(approval: ApprovalRequest): Promise<ApprovalRequest | undefined> {
    const expired = commitExpiry(deps.stores, approval, deps.now());
    if (!expired) return undefined;
    await deps.showPrompt(expired);
    deps.notify(expired);
    return expired;
  }

  async function sweep(): Promise<ApprovalRequest[]> {
    const done: ApprovalRequest[] = [];
    for (const approval of store.due(deps.now())) {
      const expired = await expireOne(approval);
      if (expired) done.push(expired);
    }
    return done;
  }

  function expireDue(): Promise<ApprovalRequest[]> {
    sweeping ??= sweep().finally(() => (sweeping = undefined));
    return sweeping;
  }

  return {
    expireOne,
    expireDue,
    async start() {
      await expireDue();
      if (timer) return;
      timer = setInterval(() => {
        expireDue().catch((error: unknown) => deps.onError(error, 'expiry sweep failed'));
      }, deps.sweepIntervalMs ?? 1000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await sweeping;
    },
  };
}
