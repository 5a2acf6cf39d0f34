// "typing…" in a Telegram chat while the model works. Telegram shows a chat action for about
// five seconds, so it is repeated until the next message reaches that chat (the reply or an
// approval prompt) or a ceiling passes. The contract has no "turn finished" signal, hence the
// ceiling. Must never let a failed chat action disturb anything: failures are only logged.
export interface TypingIndicator {
  /** How many messages reached this chat so far: read before handing a message to the host. */
  mark(chatId: string, threadId?: string): number;
  /** Starts typing, unless a message reached the chat since `mark` (the reply was faster). */
  start(chatId: string, threadId: string | undefined, since: number): void;
  /** A message reached the chat: typing ends. */
  stop(chatId: string, threadId?: string): void;
  stopAll(): void;
}

export interface TypingDeps {
  sendTyping(chatId: string, threadId: string | undefined): Promise<unknown>;
  onError(err: unknown): void;
  /** Repeat interval (Telegram keeps the indicator ~5 s). */
  everyMs?: number;
  /** Give up after this long without a message to the chat. */
  ceilingMs?: number;
}

export function createTypingIndicator(deps: TypingDeps): TypingIndicator {
  const every = deps.everyMs ?? 4_500;
  const ceiling = deps.ceilingMs ?? 120_000;
  const active = new Map<string, { timer: NodeJS.Timeout; until: number }>();
  // Messages delivered per chat; bounded: a chat's count is only compared with itself shortly after.
  const delivered = new Map<string, number>();
  const key = (chatId: string, threadId?: string) => `${chatId}/${threadId ?? ''}`;

  const send = (chatId: string, threadId?: string) => void deps.sendTyping(chatId, threadId).catch(deps.onError);

  return {
    mark: (chatId, threadId) => delivered.get(key(chatId, threadId)) ?? 0,
    start(chatId, threadId, since) {
      const k = key(chatId, threadId);
      if ((delivered.get(k) ?? 0) !== since) return;
      const existing = active.get(k);
      if (existing) {
        existing.until = Date.now() + ceiling;
        return;
      }
      send(chatId, threadId);
      const entry = {
        until: Date.now() + ceiling,
        timer: setInterval(() => {
          if (Date.now() > entry.until) {
            clearInterval(entry.timer);
            active.delete(k);
            return;
          }
          send(chatId, threadId);
        }, every),
      };
      entry.timer.unref();
      active.set(k, entry);
    },
    stop(chatId, threadId) {
      const k = key(chatId, threadId);
      if (delivered.size > 10_000) delivered.clear();
      delivered.set(k, (delivered.get(k) ?? 0) + 1);
      const entry = active.get(k);
      if (entry) clearInterval(entry.timer);
      active.delete(k);
    },
    stopAll() {
      for (const entry of active.values()) clearInterval(entry.timer);
      active.clear();
    },
  };
}
