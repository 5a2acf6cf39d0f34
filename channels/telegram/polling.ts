// Long polling for the Telegram adapter, on grammy's public API (getUpdates + handleUpdate)
// rather than bot.start(): updates of one batch are handled chat by chat in parallel (in order
// within a chat), and the batch is confirmed (the next offset) only after every one of them was
// handed to the gateway, so a crash redelivers instead of losing. Errors back off (Telegram's
// own retry_after for 429) and a stop interrupts any wait at once. Must never confirm an update
// whose handler has not finished.
import { GrammyError } from 'grammy';
import type { Update } from 'grammy/types';

export interface PollingDeps {
  getUpdates(params: { offset: number; limit: number; timeout: number; allowed_updates?: readonly string[] }, signal: AbortSignal): Promise<Update[]>;
  /** Handles one update; a rejection is logged by the caller's onUpdateError and the batch goes on. */
  handle(update: Update): Promise<void>;
  onUpdateError(err: unknown, update: Update): void;
  onPollError(err: unknown, retryInMs: number): void;
  timeoutSeconds: number;
  allowedUpdates: readonly string[];
}

export interface Polling {
  /** Ends the loop after the batch in hand, then confirms it; resolves when done. */
  stop(): Promise<void>;
}

const BACKOFF_MS = [500, 1_000, 2_000, 5_000, 10_000, 30_000];

/** Updates of one chat stay in order; different chats go in parallel. */
function chatKey(update: Update): string {
  const chat = update.message?.chat ?? update.callback_query?.message?.chat;
  return typeof chat?.id === 'number' ? String(chat.id) : 'other';
}

function retryDelay(err: unknown, failures: number): number {
  if (err instanceof GrammyError) {
    if (err.error_code === 429) return (err.parameters.retry_after ?? 1) * 1000;
    // A revoked token or another instance polling the same bot: no point in hammering.
    if (err.error_code === 401) return 60_000;
    if (err.error_code === 409) return 5_000;
  }
  return BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)]!;
}

export function startPolling(deps: PollingDeps): Polling {
  const abort = new AbortController();
  let offset = 0;
  let confirmed = true;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });

  async function handleBatch(updates: Update[]): Promise<void> {
    const byChat = new Map<string, Update[]>();
    for (const update of updates) {
      const key = chatKey(update);
      byChat.set(key, [...(byChat.get(key) ?? []), update]);
    }
    await Promise.all(
      [...byChat.values()].map(async (list) => {
        for (const update of list) await deps.handle(update).catch((err: unknown) => deps.onUpdateError(err, update));
      }),
    );
  }

  async function loop(): Promise<void> {
    let failures = 0;
    let first = true;
    while (!abort.signal.aborted) {
      let updates: Update[];
      try {
        updates = await deps.getUpdates({ offset, limit: 100, timeout: deps.timeoutSeconds, ...(first ? { allowed_updates: deps.allowedUpdates } : {}) }, abort.signal);
      } catch (err) {
        if (abort.signal.aborted) break;
        const wait = retryDelay(err, failures++);
        deps.onPollError(err, wait);
        await pause(wait);
        continue;
      }
      failures = 0;
      first = false;
      confirmed = true;
      if (updates.length === 0) continue;
      await handleBatch(updates);
      // The next getUpdates carries this offset: that is what confirms the batch to Telegram.
      offset = updates[updates.length - 1]!.update_id + 1;
      confirmed = false;
    }
  }

  const running = loop();

  return {
    async stop() {
      abort.abort();
      await running;
      if (confirmed || offset === 0) return;
      // Confirm the last batch so a restart does not get it again (it would be recognised, but why send it).
      await deps.getUpdates({ offset, limit: 1, timeout: 0 }, new AbortController().signal).then(
        () => undefined,
        () => undefined,
      );
    },
  };
}
