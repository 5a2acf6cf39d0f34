// The SQLite file behind the Matrix crypto store's IndexedDB (persistent-indexeddb.ts): each
// IndexedDB database's version, object stores (key path, auto-increment and its generator),
// indexes, and every record. Values (and keys, for restoring) are node:v8 structured-clone
// bytes; a record's primary key in SQLite is a canonical text form of its IndexedDB key (v8 bytes
// of equal strings may differ). A committed IndexedDB transaction is one SQLite transaction.
// The file is private (0600, in the 0700 Matrix state dir): it holds the bot's end-to-end keys.
// Must never write half an IndexedDB transaction or log a value.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';

export type IdbKey = number | string | Date | ArrayBuffer | IdbKey[];
export type KeyPath = string | string[] | null;

export interface IndexSchema {
  name: string;
  keyPath: string | string[];
  unique: boolean;
  multiEntry: boolean;
}

export interface StoreSchema {
  name: string;
  keyPath: KeyPath;
  autoIncrement: boolean;
  /** The key generator's current number (the next generated key is one more). */
  keyGenerator: number;
  indexes: IndexSchema[];
}

export interface StoredRecord {
  key: IdbKey;
  value: unknown;
}

export interface DatabaseDump {
  name: string;
  version: number;
  stores: Array<StoreSchema & { records: Iterable<StoredRecord> }>;
}

/** One change of a committed readwrite transaction, in the order it happened. */
export type RecordChange =
  | { kind: 'put'; store: string; record: StoredRecord }
  | { kind: 'delete'; store: string; keys: IdbKey[] }
  | { kind: 'clear'; store: string }
  | { kind: 'key-generator'; store: string; value: number };

export interface IdbSqliteFile {
  databases(): DatabaseDump[];
  /** Replaces everything stored for this database (after a versionchange transaction). */
  rewrite(dump: DatabaseDump): void;
  /** Applies a committed readwrite transaction's changes, all or nothing. */
  apply(database: string, changes: readonly RecordChange[]): void;
  remove(database: string): void;
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS idb_databases (name TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS idb_stores (db TEXT NOT NULL, name TEXT NOT NULL, key_path TEXT NOT NULL, auto_increment INTEGER NOT NULL, key_generator INTEGER NOT NULL, PRIMARY KEY (db, name));
CREATE TABLE IF NOT EXISTS idb_indexes (db TEXT NOT NULL, store TEXT NOT NULL, name TEXT NOT NULL, key_path TEXT NOT NULL, is_unique INTEGER NOT NULL, multi_entry INTEGER NOT NULL, PRIMARY KEY (db, store, name));
CREATE TABLE IF NOT EXISTS idb_records (db TEXT NOT NULL, store TEXT NOT NULL, key_id TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, PRIMARY KEY (db, store, key_id));
`;

/** A canonical text for an IndexedDB key: equal keys, equal text. */
export function keyId(key: IdbKey): string {
  return JSON.stringify(canonical(key));
}

function canonical(key: IdbKey): unknown {
  if (typeof key === 'number') return ['n', String(key)];
  if (typeof key === 'string') return ['s', key];
  if (key instanceof Date) return ['d', String(key.getTime())];
  if (key instanceof ArrayBuffer) return ['b', Buffer.from(key).toString('hex')];
  if (Array.isArray(key)) return ['a', key.map(canonical)];
  throw new SecureSphereError(ERROR_CODES.STORE, 'An IndexedDB key of an unsupported type reached the crypto store file.');
}

export function openIdbSqliteFile(file: string): IdbSqliteFile {
  let db: Database.Database;
  try {
    closeSync(openSync(file, 'a', 0o600));
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    // A committed transaction survives the process being killed (the WAL is written first).
    db.pragma('synchronous = NORMAL');
    // Deleted keys are zeroed, not left in free pages.
    db.pragma('secure_delete = ON');
    db.exec(SCHEMA);
  } catch (cause) {
    throw new SecureSphereError(ERROR_CODES.STORE, `Cannot open the Matrix crypto store ${file}: check that the data directory is writable.`, { cause });
  }

  const q = {
    databases: db.prepare<[], { name: string; version: number }>('SELECT name, version FROM idb_databases ORDER BY name'),
    stores: db.prepare<[string], { name: string; key_path: string; auto_increment: number; key_generator: number }>('SELECT name, key_path, auto_increment, key_generator FROM idb_stores WHERE db = ? ORDER BY name'),
    indexes: db.prepare<[string, string], { name: string; key_path: string; is_unique: number; multi_entry: number }>('SELECT name, key_path, is_unique, multi_entry FROM idb_indexes WHERE db = ? AND store = ? ORDER BY name'),
    records: db.prepare<[string, string], { key: Buffer; value: Buffer }>('SELECT key, value FROM idb_records WHERE db = ? AND store = ?'),
    putDatabase: db.prepare('INSERT OR REPLACE INTO idb_databases (name, version) VALUES (?, ?)'),
    putStore: db.prepare('INSERT INTO idb_stores (db, name, key_path, auto_increment, key_generator) VALUES (?, ?, ?, ?, ?)'),
    putIndex: db.prepare('INSERT INTO idb_indexes (db, store, name, key_path, is_unique, multi_entry) VALUES (?, ?, ?, ?, ?, ?)'),
    putRecord: db.prepare('INSERT OR REPLACE INTO idb_records (db, store, key_id, key, value) VALUES (?, ?, ?, ?, ?)'),
    deleteRecord: db.prepare('DELETE FROM idb_records WHERE db = ? AND store = ? AND key_id = ?'),
    clearStore: db.prepare('DELETE FROM idb_records WHERE db = ? AND store = ?'),
    setKeyGenerator: db.prepare('UPDATE idb_stores SET key_generator = ? WHERE db = ? AND name = ?'),
    removeDatabase: [
      db.prepare('DELETE FROM idb_records WHERE db = ?'),
      db.prepare('DELETE FROM idb_indexes WHERE db = ?'),
      db.prepare('DELETE FROM idb_stores WHERE db = ?'),
      db.prepare('DELETE FROM idb_databases WHERE name = ?'),
    ],
  };

  const removeRows = (name: string) => {
    for (const statement of q.removeDatabase) statement.run(name);
  };

  const rewrite = db.transaction((dump: DatabaseDump) => {
    removeRows(dump.name);
    q.putDatabase.run(dump.name, dump.version);
    for (const store of dump.stores) {
      q.putStore.run(dump.name, store.name, JSON.stringify(store.keyPath), store.autoIncrement ? 1 : 0, store.keyGenerator);
      for (const index of store.indexes) q.putIndex.run(dump.name, store.name, index.name, JSON.stringify(index.keyPath), index.unique ? 1 : 0, index.multiEntry ? 1 : 0);
      for (const record of store.records) q.putRecord.run(dump.name, store.name, keyId(record.key), serialize(record.key), serialize(record.value));
    }
  });

  const apply = db.transaction((database: string, changes: readonly RecordChange[]) => {
    for (const change of changes) {
      if (change.kind === 'put') q.putRecord.run(database, change.store, keyId(change.record.key), serialize(change.record.key), serialize(change.record.value));
      else if (change.kind === 'delete') for (const key of change.keys) q.deleteRecord.run(database, change.store, keyId(key));
      else if (change.kind === 'clear') q.clearStore.run(database, change.store);
      else q.setKeyGenerator.run(change.value, database, change.store);
    }
  });

  return {
    databases() {
      return q.databases.all().map(({ name, version }) => ({
        name,
        version,
        stores: q.stores.all(name).map((s) => ({
          name: s.name,
          keyPath: JSON.parse(s.key_path) as KeyPath,
          autoIncrement: s.auto_increment === 1,
          keyGenerator: s.key_generator,
          indexes: q.indexes.all(name, s.name).map((i) => ({ name: i.name, keyPath: JSON.parse(i.key_path) as string | string[], unique: i.is_unique === 1, multiEntry: i.multi_entry === 1 })),
          records: q.records.all(name, s.name).map((r) => ({ key: deserialize(r.key) as IdbKey, value: deserialize(r.value) })),
        })),
      }));
    },
    rewrite: (dump) => rewrite(dump),
    apply: (database, changes) => apply(database, changes),
    remove: db.transaction((name: string) => removeRows(name)),
    close: () => db.close(),
  };
}
