import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { ApprovalStore } from '../../src/store/approvals.js';
import { ConversationKeyStore } from '../../src/store/conversation-keys.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'securesphere-migrations-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const versions = (db: ReturnType<typeof openDatabase>) =>
  (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>).map((r) => r.version);

describe('migrations', () => {
  it('run on an empty database, in WAL mode', () => {
    const db = openDatabase(tempDir());
    expect(versions(db)).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name);
    for (const t of ['conversations', 'messages', 'actions', 'action_transitions', 'approvals', 'agents', 'audit_events']) expect(tables).toContain(t);
    db.close();
  });

  it('run only the missing ones on an existing database and keep its data', () => {
    const dir = tempDir();
    const old = openDatabase(dir, { migrations: MIGRATIONS.slice(0, 1) });
    expect(versions(old)).toEqual([1]);
    old.prepare("INSERT INTO conversations (id, channel, created_at, updated_at) VALUES ('c1', 'api', 1, 1)").run();
    old.close();

    const db = openDatabase(dir);
    expect(versions(db)).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    expect(db.prepare("SELECT id FROM conversations WHERE id = 'c1'").get()).toEqual({ id: 'c1' });
    db.close();
    // Opening again applies nothing twice.
    const again = openDatabase(dir);
    expect(versions(again)).toHaveLength(MIGRATIONS.length);
    again.close();
  });

  it('migrates existing conversations onto channel + platform keys, keeping their ids, history and grants', () => {
    const dir = tempDir();
    const old = openDatabase(dir, { migrations: MIGRATIONS.slice(0, 2) });
    old.prepare("INSERT INTO conversations (id, channel, created_at, updated_at) VALUES ('room-1', 'web', 1, 1)").run();
    old.prepare("INSERT INTO messages (conversation_id, role, content, created_at) VALUES ('room-1', 'user', 'before the upgrade', 1)").run();
    old.prepare("INSERT INTO conversation_grants (id, conversation_id, skill, operation, granted_by, created_at) VALUES ('g-old', 'room-1', 's', 'o', 'bob', 1)").run();
    old.close();

    const db = openDatabase(dir);
    const keys = new ConversationKeyStore(db);
    // The same platform address still leads to the same conversation and its history.
    expect(keys.resolve({ channel: 'web', conversationId: 'room-1' })).toBe('room-1');
    expect(keys.addressOf('room-1')).toEqual({ channel: 'web', conversationId: 'room-1' });
    // The same platform id on another channel is another conversation.
    expect(keys.resolve({ channel: 'telegram', conversationId: 'room-1' })).toBe('telegram:room-1');
    expect(keys.resolve({ channel: 'telegram', conversationId: 'room-1', threadId: '7' })).toBe('telegram:room-1/7');
    expect(db.prepare("SELECT content FROM messages WHERE conversation_id = 'room-1'").get()).toEqual({ content: 'before the upgrade' });
    // A grant from before owners existed keeps covering the conversation.
    expect(new ApprovalStore(db).activeGrant('room-1', 's', 'o', 'web:anyone')?.id).toBe('g-old');
    // `/new` points the address at a fresh conversation.
    expect(keys.reset({ channel: 'web', conversationId: 'room-1' })).toBe('web:room-1#1');
    expect(keys.resolve({ channel: 'web', conversationId: 'room-1' })).toBe('web:room-1#1');
    db.close();
  });

  it('rolls back a failing migration as a whole', () => {
    const dir = tempDir();
    const broken = [...MIGRATIONS, { version: 999, name: 'broken', sql: 'CREATE TABLE half_done (x INTEGER); SELECT * FROM no_such_table;' }];
    expect(() => openDatabase(dir, { migrations: broken })).toThrow(/no_such_table/);
    const db = openDatabase(dir);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).toBeUndefined();
    expect(versions(db)).not.toContain(999);
    db.close();
  });
});
