// The in-memory history behind ConversationStore.recent(): always what the database holds
// (rows written by this store, by another connection, never a rolled-back one), returned
// frozen so no caller can change what the next turn reads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConversationStore } from '../../src/store/conversations.js';
import { openDatabase } from '../../src/store/database.js';

describe('recent history cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'securesphere-history-'));
  const db = openDatabase(dir);
  const other = openDatabase(dir); // a second connection, as another process would have
  const store = new ConversationStore(db);
  const otherStore = new ConversationStore(other);
  afterAll(() => {
    db.close();
    other.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const texts = (conversation: string, limit: number, s = store) => s.recent(conversation, limit).map((m) => m.message.content);

  it('follows appends from this store and from another connection, keeps the window, and never shows a rolled-back row', () => {
    store.ensure('c1', 'api');
    for (let i = 1; i <= 5; i++) store.append('c1', { role: 'user', content: `m${i}` });
    expect(texts('c1', 3)).toEqual(['m3', 'm4', 'm5']);
    store.append('c1', { role: 'assistant', content: 'a6', toolCalls: [{ id: 'call1', name: 'calc_add', arguments: { a: 1 } }] });
    expect(texts('c1', 3)).toEqual(['m4', 'm5', 'a6']);
    otherStore.append('c1', { role: 'user', content: 'from another process' });
    expect(texts('c1', 3)).toEqual(['m5', 'a6', 'from another process']);
    // A larger window than cached reloads; a smaller one is a slice.
    expect(texts('c1', 10)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'a6', 'from another process']);
    expect(texts('c1', 2)).toEqual(['a6', 'from another process']);

    expect(() =>
      db.transaction(() => {
        store.append('c1', { role: 'user', content: 'rolled back' });
        expect(texts('c1', 2)).toEqual(['from another process', 'rolled back']); // inside: the transaction's own view
        throw new Error('abort');
      })(),
    ).toThrow('abort');
    expect(texts('c1', 2)).toEqual(['a6', 'from another process']);
    store.append('c1', { role: 'user', content: 'after rollback' });
    expect(texts('c1', 2)).toEqual(['from another process', 'after rollback']);
    // More new rows than the window since the last read: still exactly the last ones.
    for (let i = 0; i < 25; i++) otherStore.append('c1', { role: 'user', content: `burst${i}` });
    expect(texts('c1', 10)).toEqual(Array.from({ length: 10 }, (_, i) => `burst${15 + i}`));
    expect(texts('c1', 10)).toEqual(texts('c1', 10, otherStore));
  });

  it('returns frozen messages: a caller cannot change what the next turn reads', () => {
    const [first] = store.recent('c1', 1);
    expect(() => {
      (first!.message as { content: string }).content = 'tampered';
    }).toThrow(TypeError);
    store.ensure('c2', 'api');
    store.append('c2', { role: 'assistant', content: '', toolCalls: [{ id: 'x', name: 'calc_add', arguments: { a: 1 } }] });
    const [call] = store.recent('c2', 1);
    const args = (call!.message as { toolCalls: Array<{ arguments: Record<string, unknown> }> }).toolCalls[0]!.arguments;
    expect(() => {
      args.a = 2;
    }).toThrow(TypeError);
    expect(store.recent('c2', 1)[0]!.message).toMatchObject({ toolCalls: [{ arguments: { a: 1 } }] });
  });
});
