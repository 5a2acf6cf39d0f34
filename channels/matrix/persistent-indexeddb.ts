// An IndexedDB for Node that survives restarts, so the Matrix bot keeps its end-to-end keys:
// matrix-sdk-crypto-wasm stores only in IndexedDB, which Node lacks. The engine is
// fake-indexeddb (in memory, spec-conformant, what matrix-js-sdk's own tests use); this module
// restores every database from the SQLite file (idb-sqlite.ts) into a fresh factory at start,
// and writes each committed transaction's changes there when its `complete` fires: a readwrite
// transaction's puts, deletes (the exact keys, read before they go) and clears as one SQLite
// transaction, a versionchange transaction as a rewrite of the whole database. An aborted
// transaction writes nothing. It hooks fake-indexeddb's per-database record operations
// (storeRecord / deleteRecord / clear, through which every put, add, delete, clear and cursor
// update or delete passes) on the objects of ITS OWN factory only, never a prototype; the
// internals it relies on are checked at start, so a changed fake-indexeddb fails loudly.
// Must never persist an aborted transaction, touch another factory, or log a stored value.
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { openIdbSqliteFile, type DatabaseDump, type IdbKey, type KeyPath, type RecordChange, type StoredRecord } from './idb-sqlite.js';

/** fake-indexeddb's internal shapes this module relies on (checked in checkInternals). */
interface RawIndex {
  keyPath: string | string[];
  unique: boolean;
  multiEntry: boolean;
}
type RollbackLog = unknown[];
interface RawObjectStore {
  name: string;
  keyPath: KeyPath;
  autoIncrement: boolean;
  keyGenerator: { num: number } | null;
  rawIndexes: Map<string, RawIndex>;
  records: { values(): Iterable<StoredRecord> };
  rawDatabase: RawDatabase;
  getAllKeys(range: unknown): IdbKey[];
  storeRecord(record: StoredRecord, noOverwrite: boolean, rollbackLog?: RollbackLog): IdbKey;
  deleteRecord(key: unknown, rollbackLog?: RollbackLog): void;
  clear(rollbackLog?: RollbackLog): void;
}
interface RawTransaction extends EventTarget {
  _rollbackLog: RollbackLog;
  mode: 'readonly' | 'readwrite' | 'versionchange';
}
interface RawDatabase {
  name: string;
  version: number;
  rawObjectStores: Map<string, RawObjectStore>;
  transactions: RawTransaction[];
}
interface FactoryInternals {
  _databases: Map<string, RawDatabase>;
}

/** The slice of the IndexedDB API used here (the project compiles without the DOM types). */
interface IdbRequestLike<T> extends EventTarget {
  readonly result: T;
  readonly error: unknown;
  readonly transaction: EventTarget | null;
}
interface IdbDatabaseLike {
  createObjectStore(name: string, options: { keyPath: KeyPath; autoIncrement: boolean }): {
    createIndex(name: string, keyPath: string | string[], options: { unique: boolean; multiEntry: boolean }): unknown;
    put(value: unknown, key?: IdbKey): unknown;
  };
  close(): void;
}
/** An IndexedDB factory (window.indexedDB's type); fake-indexeddb's, with persistence. */
export interface IdbFactoryLike {
  open(name: string, version?: number): IdbRequestLike<IdbDatabaseLike>;
  deleteDatabase(name: string): IdbRequestLike<undefined>;
}

export interface PersistentIndexedDB {
  /** A fake-indexeddb factory whose committed transactions are kept in the SQLite file. */
  factory: IdbFactoryLike;
  /** Whether a database of this name was restored (or created since). */
  hasDatabase(name: string): boolean;
  /** Resolves once every readwrite transaction that changed something is written (or aborted). */
  flush(): Promise<void>;
  /** flush(), then closes the SQLite file; the factory must not be used afterwards. */
  close(): Promise<void>;
}

export interface PersistentIndexedDBOptions {
  /** The SQLite file (created 0600). */
  file: string;
  /** A committed transaction that could not be written to the file (disk full, ...). */
  onError: (err: unknown) => void;
}

interface PendingTransaction {
  database: string;
  changes: RecordChange[];
  stores: Set<RawObjectStore>;
}

export async function openPersistentIndexedDB(options: PersistentIndexedDBOptions): Promise<PersistentIndexedDB> {
  const file = openIdbSqliteFile(options.file);
  const factory = new IDBFactory() as unknown as IdbFactoryLike;
  const internals = factory as unknown as FactoryInternals;
  const pending = new Map<RollbackLog, PendingTransaction>();
  const hooked = new WeakSet<RawObjectStore>();
  let waiters: Array<() => void> = [];

  const settle = (log: RollbackLog) => {
    pending.delete(log);
    if (pending.size > 0) return;
    const done = waiters;
    waiters = [];
    for (const wake of done) wake();
  };

  function commit(log: RollbackLog, tx: PendingTransaction): void {
    try {
      for (const store of tx.stores) if (store.keyGenerator) tx.changes.push({ kind: 'key-generator', store: store.name, value: store.keyGenerator.num });
      file.apply(tx.database, tx.changes);
    } catch (err) {
      options.onError(err);
    } finally {
      settle(log);
    }
  }

  /** The transaction a record operation belongs to; undefined for versionchange (rewritten whole) and rollbacks. */
  function pendingFor(store: RawObjectStore, log: RollbackLog | undefined): PendingTransaction | undefined {
    if (!log) return undefined; // an abort undoing its own changes: nothing of it is written
    const known = pending.get(log);
    if (known) return known;
    const raw = store.rawDatabase.transactions.findLast((t) => t._rollbackLog === log);
    if (!raw) throw new SecureSphereError(ERROR_CODES.STORE, 'An IndexedDB change of the Matrix crypto store belongs to no known transaction (fake-indexeddb changed?): it is refused rather than lost at the next restart.');
    if (raw.mode === 'versionchange') return undefined;
    const tx: PendingTransaction = { database: store.rawDatabase.name, changes: [], stores: new Set() };
    pending.set(log, tx);
    raw.addEventListener('complete', () => commit(log, tx));
    raw.addEventListener('abort', () => settle(log));
    return tx;
  }

  function hookStore(store: RawObjectStore): void {
    if (hooked.has(store)) return;
    checkStoreInternals(store);
    hooked.add(store);
    const { storeRecord, deleteRecord, clear } = store;
    store.storeRecord = (record, noOverwrite, log) => {
      const tx = pendingFor(store, log);
      const key = storeRecord.call(store, record, noOverwrite, log);
      // `record` is fake-indexeddb's own clone (its key injected); nothing changes it later.
      if (tx) {
        tx.changes.push({ kind: 'put', store: store.name, record: { key, value: record.value } });
        tx.stores.add(store);
      }
      return key;
    };
    store.deleteRecord = (query, log) => {
      const tx = pendingFor(store, log);
      // The exact keys a key or a key range deletes, read before they go.
      const keys = tx ? store.getAllKeys(query instanceof IDBKeyRange ? query : IDBKeyRange.only(query)) : [];
      deleteRecord.call(store, query, log);
      if (tx && keys.length > 0) tx.changes.push({ kind: 'delete', store: store.name, keys });
    };
    store.clear = (log) => {
      const tx = pendingFor(store, log);
      clear.call(store, log);
      tx?.changes.push({ kind: 'clear', store: store.name });
    };
  }

  function hookDatabase(name: string): void {
    for (const store of internals._databases.get(name)?.rawObjectStores.values() ?? []) hookStore(store);
  }

  function dump(raw: RawDatabase): DatabaseDump {
    return {
      name: raw.name,
      version: raw.version,
      stores: [...raw.rawObjectStores].map(([name, store]) => ({
        name,
        keyPath: store.keyPath,
        autoIncrement: store.autoIncrement,
        keyGenerator: store.keyGenerator?.num ?? 0,
        indexes: [...store.rawIndexes].map(([indexName, index]) => ({ name: indexName, keyPath: index.keyPath, unique: index.unique, multiEntry: index.multiEntry })),
        records: store.records.values(),
      })),
    };
  }

  checkInternals(factory, internals);
  try {
    for (const database of file.databases()) await restore(factory, internals, database);
  } catch (cause) {
    file.close();
    throw new SecureSphereError(ERROR_CODES.STORE, `The Matrix crypto store ${options.file} could not be restored: move it away to start with an empty store (the bot's device then needs a new access token or login).`, { cause });
  }
  for (const name of internals._databases.keys()) hookDatabase(name);

  // Own-property overrides on this factory object only: the prototype stays untouched.
  const { open, deleteDatabase } = factory;
  // open(name) and open(name, undefined) differ to fake-indexeddb (arguments.length): passed as given.
  factory.open = (...args: [string, number?]) => {
    const [name] = args;
    const request = open.apply(factory, args);
    request.addEventListener('upgradeneeded', () => {
      request.transaction?.addEventListener('complete', () => {
        const raw = internals._databases.get(name);
        if (!raw) return;
        try {
          file.rewrite(dump(raw));
        } catch (err) {
          options.onError(err);
        }
        hookDatabase(name);
      });
    });
    return request;
  };
  factory.deleteDatabase = (name: string) => {
    const request = deleteDatabase.call(factory, name);
    request.addEventListener('success', () => {
      try {
        file.remove(name);
      } catch (err) {
        options.onError(err);
      }
    });
    return request;
  };

  const flush = async () => {
    while (pending.size > 0) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return {
    factory,
    hasDatabase: (name) => internals._databases.has(name),
    flush,
    async close() {
      await flush();
      file.close();
    },
  };
}

/** Refuses a fake-indexeddb whose internals are not the ones this module hooks. */
function checkInternals(factory: IdbFactoryLike, internals: FactoryInternals): void {
  if (!(internals._databases instanceof Map) || typeof factory.open !== 'function') {
    throw new SecureSphereError(ERROR_CODES.STORE, 'This fake-indexeddb version is not the one the Matrix crypto store was built for (its internals differ): install the version in package.json.');
  }
}

function checkStoreInternals(store: RawObjectStore): void {
  const ok = typeof store.storeRecord === 'function' && typeof store.deleteRecord === 'function' && typeof store.clear === 'function' && typeof store.getAllKeys === 'function' && store.rawIndexes instanceof Map && Array.isArray(store.rawDatabase?.transactions);
  if (!ok) throw new SecureSphereError(ERROR_CODES.STORE, 'This fake-indexeddb version is not the one the Matrix crypto store was built for (its object store internals differ): install the version in package.json.');
}

/** Recreates one persisted database in the fresh factory: schema in an upgrade, records put back. */
async function restore(factory: IdbFactoryLike, internals: FactoryInternals, database: DatabaseDump): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const request = factory.open(database.name, database.version);
    request.addEventListener('upgradeneeded', () => {
      const db = request.result;
      for (const schema of database.stores) {
        const store = db.createObjectStore(schema.name, { keyPath: schema.keyPath, autoIncrement: schema.autoIncrement });
        for (const index of schema.indexes) store.createIndex(index.name, index.keyPath, { unique: index.unique, multiEntry: index.multiEntry });
        for (const record of schema.records) {
          if (schema.keyPath === null) store.put(record.value, record.key);
          else store.put(record.value);
        }
      }
    });
    request.addEventListener('success', () => {
      request.result.close();
      resolve();
    });
    request.addEventListener('error', () => reject(request.error ?? new SecureSphereError(ERROR_CODES.STORE, `Restoring the IndexedDB database ${database.name} failed.`)));
  });
  const raw = internals._databases.get(database.name);
  for (const schema of database.stores) {
    const store = raw?.rawObjectStores.get(schema.name);
    if (!store) throw new SecureSphereError(ERROR_CODES.STORE, `The restored IndexedDB database ${database.name} lacks its object store ${schema.name}.`);
    if (store.keyGenerator) store.keyGenerator.num = Math.max(store.keyGenerator.num, schema.keyGenerator);
  }
}
