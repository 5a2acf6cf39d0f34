// Where the Matrix sync position lives between starts: a MemoryStore whose saved sync (the
// SDK's SyncAccumulator: rooms' state, recent timeline, account data, next_batch token) is a
// JSON file in the data directory. The file is written only after the events of a sync batch
// were handed to the channel host (`beforeSave` waits for them), so a kill between the two
// makes the next start fetch that batch again (the host's de-dup by event id keeps it once).
// Must never advance the stored token past events that were not yet admitted.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type * as Sdk from 'matrix-js-sdk';

type SdkModule = typeof Sdk;
type SavedSync = Awaited<ReturnType<Sdk.MemoryStore['getSavedSync']>>;

export interface SyncStoreOptions {
  file: string;
  /** Resolves once every event of the batch just processed is admitted (or refused). */
  beforeSave: () => Promise<void>;
  onError: (err: unknown) => void;
}

export interface FileSyncStore {
  store: Sdk.MemoryStore;
  /** Whether a previous run left a sync position (otherwise this is the account's first start here). */
  hadSavedSync: boolean;
  /** Event ids in the saved sync: handled (or deliberately skipped) before the last save, never again. */
  savedEventIds: ReadonlySet<string>;
}

export function createFileSyncStore(sdk: SdkModule, options: SyncStoreOptions): FileSyncStore {
  const accumulator = new sdk.SyncAccumulator();
  let saved: SavedSync = null;
  const savedEventIds = new Set<string>();
  if (existsSync(options.file)) {
    try {
      const data = JSON.parse(readFileSync(options.file, 'utf8')) as Sdk.ISyncData;
      accumulator.accumulate({ next_batch: data.nextBatch, rooms: data.roomsData, account_data: { events: data.accountData } } as unknown as Sdk.ISyncResponse, true);
      saved = { nextBatch: data.nextBatch, roomsData: data.roomsData, accountData: data.accountData };
      for (const room of Object.values(data.roomsData.join ?? {})) {
        for (const event of room.timeline?.events ?? []) if (typeof event.event_id === 'string') savedEventIds.add(event.event_id);
      }
    } catch (err) {
      options.onError(err);
    }
  }

  class FileSyncStore extends sdk.MemoryStore {
    override async getSavedSync(): Promise<SavedSync> {
      return saved;
    }
    override async getSavedSyncToken(): Promise<string | null> {
      return saved?.nextBatch ?? null;
    }
    override async setSyncData(syncData: Sdk.ISyncResponse): Promise<void> {
      await options.beforeSave();
      accumulator.accumulate(syncData);
      const json = accumulator.getJSON(true);
      const tmp = `${options.file}.tmp`;
      try {
        writeFileSync(tmp, JSON.stringify(json), { mode: 0o600 });
        renameSync(tmp, options.file);
      } catch (err) {
        options.onError(err);
      }
    }
  }
  return { store: new FileSyncStore(), hadSavedSync: saved !== null, savedEventIds };
}
