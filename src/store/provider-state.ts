// Persists each provider profile's last error and skip/cool-down times, so a restart does not
// hammer a vendor that asked to be left alone, and `doctor` (another process) can show them.
// Error messages stored here are the typed, secret-free ones the providers produce.
import type { ProfileState } from '../providers/profile-state.js';
import type { Db } from './database.js';

interface Row {
  profile: string;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: string | null;
  skipped_until: number;
  cooling_until: number;
}

export interface ProfileStatePersistence {
  load(): Map<string, ProfileState>;
  save(profile: string, state: ProfileState): void;
}

export function createProviderStateStore(db: Db): ProfileStatePersistence {
  const select = db.prepare('SELECT * FROM provider_profile_state');
  const upsert = db.prepare(
    `INSERT INTO provider_profile_state (profile, last_error_code, last_error_message, last_error_at, skipped_until, cooling_until)
     VALUES (@profile, @code, @message, @at, @skipped, @cooling)
     ON CONFLICT(profile) DO UPDATE SET last_error_code = excluded.last_error_code, last_error_message = excluded.last_error_message,
       last_error_at = excluded.last_error_at, skipped_until = excluded.skipped_until, cooling_until = excluded.cooling_until`,
  );
  return {
    load() {
      const out = new Map<string, ProfileState>();
      for (const row of select.all() as Row[]) {
        out.set(row.profile, {
          lastError: row.last_error_code && row.last_error_at ? { code: row.last_error_code, message: row.last_error_message ?? '', at: row.last_error_at } : null,
          skippedUntil: row.skipped_until,
          coolingUntil: row.cooling_until,
        });
      }
      return out;
    },
    save(profile, state) {
      upsert.run({
        profile,
        code: state.lastError?.code ?? null,
        message: state.lastError?.message.slice(0, 500) ?? null,
        at: state.lastError?.at ?? null,
        skipped: state.skippedUntil,
        cooling: state.coolingUntil,
      });
    },
  };
}
