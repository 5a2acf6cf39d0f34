// "typing…" in a Matrix room while the model works: m.typing with a 30 s timeout, renewed every
// 25 s until a message reaches the room (the reply or a prompt) or a ceiling passes (the
// contract has no "turn finished" signal). Must never let a failed notification disturb
// anything: failures are only logged.
export interface RoomTyping {
  start(roomId: string): void;
  stop(roomId: string): void;
  stopAll(): void;
}

export function createRoomTyping(deps: { send(roomId: string, on: boolean): Promise<unknown>; onError(err: unknown): void; everyMs?: number; ceilingMs?: number }): RoomTyping {
  const every = deps.everyMs ?? 25_000;
  const ceiling = deps.ceilingMs ?? 120_000;
  const active = new Map<string, NodeJS.Timeout>();
  const send = (roomId: string, on: boolean) => {
    try {
      void deps.send(roomId, on).catch(deps.onError);
    } catch (err) {
      deps.onError(err);
    }
  };
  return {
    start(roomId) {
      if (active.has(roomId)) return;
      const until = Date.now() + ceiling;
      send(roomId, true);
      const timer = setInterval(() => {
        if (Date.now() > until) {
          clearInterval(timer);
          active.delete(roomId);
          return;
        }
        send(roomId, true);
      }, every);
      timer.unref();
      active.set(roomId, timer);
    },
    stop(roomId) {
      const timer = active.get(roomId);
      if (!timer) return;
      clearInterval(timer);
      active.delete(roomId);
      send(roomId, false);
    },
    stopAll() {
      for (const timer of active.values()) clearInterval(timer);
      active.clear();
    },
  };
}
