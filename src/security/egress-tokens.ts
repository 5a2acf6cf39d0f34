// One-time egress capabilities. The proxy socket is mounted into every agent, so any code
// running there can connect to it; what it cannot do is name the skill it speaks for. The
// gateway mints a random token bound to one skill for one execution, hands it only to that
// execution's in-agent script, and the proxy honours a request only with a live token: it
// is consumed by its first request, expires after ttlMs, and is revoked when the execution
// ends. Shell and code skills never get one, so programs they run reach nothing.
import { randomBytes } from 'node:crypto';

export interface EgressGrant {
  readonly token: string;
  /** Invalidates the token now (idempotent); call it when the execution ends. */
  revoke(): void;
}

export interface EgressTokens {
  mint(skill: string, ttlMs: number): EgressGrant;
  /** The skill a live token was minted for, consuming the token; null if unknown, used, revoked or expired. */
  take(token: string): string | null;
  /** Live tokens (tests and health). */
  size(): number;
}

interface Entry {
  skill: string;
  expiresAt: number;
}

export function createEgressTokens(now: () => number = Date.now): EgressTokens {
  const live = new Map<string, Entry>();
  const sweep = () => {
    const t = now();
    for (const [token, entry] of live) if (entry.expiresAt <= t) live.delete(token);
  };
  return {
    mint(skill, ttlMs) {
      sweep();
      const token = randomBytes(32).toString('base64url');
      live.set(token, { skill, expiresAt: now() + Math.max(1, ttlMs) });
      return { token, revoke: () => void live.delete(token) };
    },
    take(token) {
      const entry = live.get(token);
      if (entry === undefined) return null;
      live.delete(token);
      return entry.expiresAt > now() ? entry.skill : null;
    },
    size() {
      sweep();
      return live.size;
    },
  };
}
