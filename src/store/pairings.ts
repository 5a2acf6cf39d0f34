// Pairing for channels in `access: pairing` mode: an unknown platform user gets a one-time code;
// an admin approves it with `securesphere pairing approve CODE`, and from then on that user may
// talk to the bot. Codes are random (never derived from the user id) and single-use; a pending
// code expires, and the next message gets a fresh one. Never stores message text.
import { randomInt } from 'node:crypto';
import type { Db } from './database.js';

export interface Pairing {
  channel: string;
  platformUserId: string;
  code: string;
  state: 'pending' | 'approved';
  senderName: string;
  requestedAt: Date;
  decidedAt?: Date;
  decidedBy?: string;
}

interface Row {
  channel: string;
  platform_user_id: string;
  code: string;
  state: 'pending' | 'approved';
  sender_name: string;
  requested_at: number;
  decided_at: number | null;
  decided_by: string | null;
}

/** Unambiguous letters and digits (no 0/O, 1/I/L). */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const PAIRING_CODE_TTL_MS = 60 * 60_000;

export class PairingStore {
  private readonly selectUser;
  private readonly selectCode;
  private readonly upsertPending;
  private readonly approveStmt;
  private readonly selectAll;

  constructor(private readonly db: Db) {
    this.selectUser = db.prepare('SELECT * FROM channel_pairings WHERE channel = ? AND platform_user_id = ?');
    this.selectCode = db.prepare('SELECT * FROM channel_pairings WHERE code = ?');
    this.upsertPending = db.prepare(
      `INSERT INTO channel_pairings (channel, platform_user_id, code, state, sender_name, requested_at) VALUES (?, ?, ?, 'pending', ?, ?)
       ON CONFLICT (channel, platform_user_id) DO UPDATE SET code = excluded.code, sender_name = excluded.sender_name, requested_at = excluded.requested_at
       WHERE channel_pairings.state = 'pending'`,
    );
    this.approveStmt = db.prepare("UPDATE channel_pairings SET state = 'approved', decided_at = ?, decided_by = ? WHERE code = ? AND state = 'pending' AND requested_at > ?");
    this.selectAll = db.prepare('SELECT * FROM channel_pairings ORDER BY requested_at');
  }

  isPaired(channel: string, platformUserId: string): boolean {
    return (this.selectUser.get(channel, platformUserId) as Row | undefined)?.state === 'approved';
  }

  /**
   * The pending code for this user, created if there is none (or it expired). `created` says
   * whether this call made it, so the code is sent once, not on every message.
   */
  request(channel: string, platformUserId: string, senderName: string, now = Date.now()): { code: string; created: boolean } {
    return this.db
      .transaction(() => {
        const row = this.selectUser.get(channel, platformUserId) as Row | undefined;
        if (row && row.state === 'pending' && row.requested_at > now - PAIRING_CODE_TTL_MS) return { code: row.code, created: false };
        for (;;) {
          const code = Array.from({ length: 8 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
          if (this.selectCode.get(code)) continue;
          this.upsertPending.run(channel, platformUserId, code, senderName.slice(0, 200), now);
          return { code, created: true };
        }
      })
      .immediate();
  }

  /** Approves a pending, unexpired code; undefined when there is none. */
  approve(code: string, by: string, now = Date.now()): Pairing | undefined {
    const normalized = code.trim().toUpperCase();
    const info = this.approveStmt.run(now, by, normalized, now - PAIRING_CODE_TTL_MS);
    if (info.changes === 0) return undefined;
    return toPairing(this.selectCode.get(normalized) as Row);
  }

  list(): Pairing[] {
    return (this.selectAll.all() as Row[]).map(toPairing);
  }
}

function toPairing(row: Row): Pairing {
  return {
    channel: row.channel,
    platformUserId: row.platform_user_id,
    code: row.code,
    state: row.state,
    senderName: row.sender_name,
    requestedAt: new Date(row.requested_at),
    ...(row.decided_at !== null ? { decidedAt: new Date(row.decided_at) } : {}),
    ...(row.decided_by !== null ? { decidedBy: row.decided_by } : {}),
  };
}
