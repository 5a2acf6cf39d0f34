// The store on disk: the data directory is private (0700), the database and its WAL/SHM files
// are 0600 even under a permissive umask, and text that was deleted or overwritten (a value
// that was later redacted) is left neither in the database file's free pages nor in old WAL
// frames once the WAL is checkpointed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointWal, openDatabase, type Db } from '../../src/store/database.js';

let dir: string;
let db: Db | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-private-'));
});
afterEach(() => {
  db?.close();
  db = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;
const bytesOf = (path: string) => (existsSync(path) ? readFileSync(path) : Buffer.alloc(0));

describe('the database on disk', () => {
  it('is 0600 (with its WAL and SHM) in a 0700 directory, also under umask 000 and for files made 0644 before', () => {
    const old = process.umask(0);
    try {
      const dataDir = join(dir, 'data');
      db = openDatabase(dataDir);
      db.prepare('INSERT INTO rate_buckets (key, tokens, updated_at, refused) VALUES (?, 1, 1, 0)').run('k');
      expect(mode(dataDir)).toBe(0o700);
      for (const f of ['securesphere.db', 'securesphere.db-wal', 'securesphere.db-shm']) expect(mode(join(dataDir, f)), f).toBe(0o600);
      db.close();
      db = undefined;
      // A data directory left by an older version, with loose modes: tightened on open.
      chmodSync(dataDir, 0o755);
      chmodSync(join(dataDir, 'securesphere.db'), 0o644);
      db = openDatabase(dataDir);
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(join(dataDir, 'securesphere.db'))).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });

  it('keeps no deleted or overwritten text in the database file or the WAL after a checkpoint', () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    db = openDatabase(dataDir);
    const markers = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
    const insert = db.prepare('INSERT INTO rate_buckets (key, tokens, updated_at, refused) VALUES (?, 1, 1, 0)');
    insert.run(`gone-${markers[0]}`);
    insert.run(`kept-${markers[1]}`);
    checkpointWal(db);
    // One value deleted, the other overwritten in place (as a redaction would).
    db.prepare('DELETE FROM rate_buckets WHERE key = ?').run(`gone-${markers[0]}`);
    db.prepare('UPDATE rate_buckets SET key = ? WHERE key = ?').run('[REDACTED]', `kept-${markers[1]}`);
    checkpointWal(db);
    const file = join(dataDir, 'securesphere.db');
    expect(statSync(`${file}-wal`).size).toBe(0);
    for (const marker of markers) {
      expect(bytesOf(file).includes(marker), 'database file').toBe(false);
      expect(bytesOf(`${file}-wal`).includes(marker), 'WAL').toBe(false);
    }
    expect(bytesOf(file).includes('[REDACTED]')).toBe(true);
  });
});

describe('checkpointWal', () => {
  it('does not wait while another process holds the write lock, and finishes on a later call', async () => {
    const dataDir = join(dir, 'data');
    db = openDatabase(dataDir);
    db.prepare('INSERT INTO rate_buckets (key, tokens, updated_at, refused) VALUES (?, 1, 1, 0)').run('k1');
    // Another process takes the write lock and lets it go 1.5 s later. A checkpoint that waited
    // for it (the busy timeout is 5 s) would then complete and empty the WAL.
    const holder = spawn(
      process.execPath,
      ['-e', `const db = require('better-sqlite3')(process.argv[1]); db.exec('BEGIN IMMEDIATE'); console.log('locked'); setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, 1500);`, join(dataDir, 'securesphere.db')],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    await new Promise<void>((resolve) => holder.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve()));
    checkpointWal(db);
    expect(statSync(join(dataDir, 'securesphere.db-wal')).size).toBeGreaterThan(0);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    await exited;
    checkpointWal(db);
    expect(statSync(join(dataDir, 'securesphere.db-wal')).size).toBe(0);
  });
});
