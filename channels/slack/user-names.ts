// Display names for Slack user ids (users.info), so pairing requests and stored messages say
// "alice" instead of "U0123ABCD". Looked up once per user and kept; a lookup never holds an event
// for long (the answer to Slack must stay within its 3 seconds): past the wait the id is used
// and the name arrives for the next message. Must never use a name as an identity: identities
// are ids; a name is only shown.
export interface UserNameDeps {
  lookup(userId: string): Promise<string | undefined>;
  /** Longest wait for a name not yet known. Default 800 ms. */
  waitMs?: number;
  /** How many names to keep. Default 10 000. */
  keep?: number;
}

export function createUserNames(deps: UserNameDeps) {
  const names = new Map<string, string>();
  const inFlight = new Map<string, Promise<string | undefined>>();
  const keep = deps.keep ?? 10_000;

  function fetchName(userId: string): Promise<string | undefined> {
    let pending = inFlight.get(userId);
    if (!pending) {
      pending = deps
        .lookup(userId)
        .then((name) => {
          const clean = [...(name ?? '')].filter((c) => c >= ' ' && c !== '\u007f').join('').trim().slice(0, 80);
          if (clean) {
            names.set(userId, clean);
            if (names.size > keep) names.delete(names.keys().next().value!);
          }
          return clean || undefined;
        })
        .catch(() => undefined)
        .finally(() => inFlight.delete(userId));
      inFlight.set(userId, pending);
    }
    return pending;
  }

  return {
    /** The user's display name, or the id when it is not known within the wait. */
    async nameOf(userId: string): Promise<string> {
      const known = names.get(userId);
      if (known) return known;
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), deps.waitMs ?? 800);
      });
      const name = await Promise.race([fetchName(userId), waited]);
      clearTimeout(timer);
      return name ?? userId;
    },
  };
}

export type UserNames = ReturnType<typeof createUserNames>;
