// Opens the SQLite store: WAL mode, foreign keys on, and every pending migration applied.
// synchronous=NORMAL in WAL mode: a committed transaction survives the process being killed
// at any moment (the WAL is written before commit returns); only an OS crash or power loss
// can drop the last commits.
// Private on disk: the data directory is 0700 and the database 0600 (SQLite gives its -wal and
// -shm files the database file's mode). secure_delete zeroes deleted and overwritten content,
// and checkpointWal() empties the WAL, so text that was replaced (e.g. redacted) does not
// linger in free pages or old WAL frames.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  migrations?: readonly Migration[];
}

export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): Db {
  const migrations = options.migrations ?? MIGRATIONS;
  let db: Db;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
    const file = join(dataDir, 'securesphere.db');
    closeSync(openSync(file, 'a', 0o600));
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
    db = new Database(file);
  } catch (cause) {
    throw new SecureSphereError(
      ERROR_CODES.STORE,
      `Cannot open the database in ${dataDir}: check that the folder is writable, or pass --data-dir.`,
      { cause },
    );
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('secure_delete = ON');
  migrate(db, migrations);
  return db;
}

/**
 * Copies the WAL into the database and truncates it to zero bytes. Never waits: with another
 * connection reading or writing (the CLI, a second process) it does what it can now and the
 * next call finishes the job, instead of blocking the event loop for the busy timeout.
 */
export function checkpointWal(db: Db): void {
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 0');
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.pragma(`busy_timeout = ${Number(timeout)}`);
  }
}

export function migrate(db: Db, migrations: readonly Migration[]): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version),
  );
  const ran: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    })();
    ran.push(m.version);
  }
  return ran;
}
