// The Matrix crypto store's persistent IndexedDB against fake-indexeddb directly: everything a
// committed transaction did (put, add, delete of a key or a range, clear, cursor update and
// delete, auto-increment keys, indexes, schema upgrades, deleted databases) is there again in a
// new factory restored from the same SQLite file ("a restart"); an aborted transaction leaves
// nothing; the file is private. No SDK here: matrix-crypto-store tests cover the wasm on top.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDBKeyRange } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPersistentIndexedDB, type PersistentIndexedDB } from '../../../channels/matrix/persistent-indexeddb.js';

type Upgrade = (db: any, tx: any, oldVersion: number) => void;

function request<T = any>(req: any): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result as T);
    req.onerror = () => reject(req.error);
  });
}

function openDb(idb: PersistentIndexedDB, name: string, version: number, upgrade?: Upgrade): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = idb.factory.open(name, version) as any;
    req.onupgradeneeded = (event: any) => upgrade?.(req.result, req.transaction, event.oldVersion);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Runs `work` in one transaction; resolves with its return value once the transaction completed. */
function inTx<T>(db: any, stores: string[], mode: 'readonly' | 'readwrite', work: (tx: any) => Promise<T> | T): Promise<T> {
  const tx = db.transaction(stores, mode);
  const done = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('aborted'));
  });
  return Promise.resolve(work(tx)).then(async (value) => {
    await done;
    return value;
  });
}

const all = (db: any, store: string) => inTx(db, [store], 'readonly', (tx) => request(tx.objectStore(store).getAll()));
const keys = (db: any, store: string) => inTx(db, [store], 'readonly', (tx) => request(tx.objectStore(store).getAllKeys()));

describe('persistent IndexedDB (fake-indexeddb + SQLite)', () => {
  let dir: string;
  let file: string;
  const open: PersistentIndexedDB[] = [];
  const errors: unknown[] = [];

  async function start(): Promise<PersistentIndexedDB> {
    const idb = await openPersistentIndexedDB({ file, onError: (err) => errors.push(err) });
    open.push(idb);
    return idb;
  }

  /** Closes the running instance (as a clean stop does) and restores a new one from the file. */
  async function restart(idb: PersistentIndexedDB, db?: any): Promise<PersistentIndexedDB> {
    db?.close();
    await idb.close();
    open.splice(open.indexOf(idb), 1);
    return start();
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'securesphere-idb-'));
    file = join(dir, 'crypto-store.db');
    errors.length = 0;
  });

  afterEach(async () => {
    for (const idb of open.splice(0)) await idb.close();
    rmSync(dir, { recursive: true, force: true });
    expect(errors).toEqual([]);
  });

  it('keeps put and add records with structured values (typed arrays, Maps, Dates, nested) in a 0600 file', async () => {
    let idb = await start();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    let db = await openDb(idb, 'crypto', 1, (d) => {
      d.createObjectStore('inline', { keyPath: 'id' });
      d.createObjectStore('outofline');
    });
    const value = { id: 'a', bytes: new Uint8Array([1, 2, 3]), map: new Map([['k', { deep: [1, 'two'] }]]), when: new Date(1_700_000_000_000) };
    await inTx(db, ['inline', 'outofline'], 'readwrite', (tx) => {
      tx.objectStore('inline').put(value);
      tx.objectStore('inline').add({ id: 'b', n: 2 });
      tx.objectStore('outofline').put('text value', ['compound', 7]);
      tx.objectStore('outofline').add(new Uint8Array([9]), new Uint8Array([0xff, 0x00]));
    });
    idb = await restart(idb, db);
    db = await openDb(idb, 'crypto', 1);
    expect(await all(db, 'inline')).toEqual([value, { id: 'b', n: 2 }]);
    expect((await all(db, 'inline'))[0].bytes).toBeInstanceOf(Uint8Array);
    expect(await keys(db, 'outofline')).toEqual([new Uint8Array([0xff, 0x00]).buffer, ['compound', 7]]);
    expect(await inTx(db, ['outofline'], 'readonly', (tx) => request(tx.objectStore('outofline').get(['compound', 7])))).toBe('text value');
    // An overwrite replaces the stored record.
    await inTx(db, ['inline'], 'readwrite', (tx) => tx.objectStore('inline').put({ id: 'b', n: 3 }));
    idb = await restart(idb, db);
    db = await openDb(idb, 'crypto', 1);
    expect(await all(db, 'inline')).toEqual([value, { id: 'b', n: 3 }]);
    db.close();
  });

  it('keeps deletes of one key and of a key range (exactly the keys in it), and clear', async () => {
    let idb = await start();
    let db = await openDb(idb, 'crypto', 1, (d) => {
      d.createObjectStore('s');
      d.createObjectStore('t');
    });
    await inTx(db, ['s', 't'], 'readwrite', (tx) => {
      for (let i = 1; i <= 9; i++) tx.objectStore('s').put(`v${i}`, i);
      tx.objectStore('t').put('x', 'x');
      tx.objectStore('t').put('y', 'y');
    });
    await inTx(db, ['s'], 'readwrite', (tx) => {
      tx.objectStore('s').delete(1);
      tx.objectStore('s').delete(IDBKeyRange.bound(4, 6));
      tx.objectStore('s').delete(IDBKeyRange.lowerBound(8, true));
    });
    await inTx(db, ['t'], 'readwrite', (tx) => tx.objectStore('t').clear());
    idb = await restart(idb, db);
    db = await openDb(idb, 'crypto', 1);
    expect(await keys(db, 's')).toEqual([2, 3, 7, 8]);
    expect(await all(db, 't')).toEqual([]);
    db.close();
  });

  it('keeps cursor updates and cursor deletes, through the store and through an index', async () => {
    let idb = await start();
    let db = await openDb(idb, 'crypto', 1, (d) => {
      const s = d.createObjectStore('sessions', { keyPath: 'id' });
      s.createIndex('by_room', 'room');
    });
    await inTx(db, ['sessions'], 'readwrite', (tx) => {
      const s = tx.objectStore('sessions');
      for (const [id, room] of [['a', 'r1'], ['b', 'r1'], ['c', 'r2'], ['d', 'r2']]) s.put({ id, room, used: false });
    });
    await inTx(db, ['sessions'], 'readwrite', (tx) => {
      const cursorReq = tx.objectStore('sessions').openCursor();
      cursorReq.onsuccess = () => {
        const cursor = cursorReq.result;
        if (!cursor) return;
        if (cursor.value.id === 'a') cursor.delete();
        else if (cursor.value.id === 'b') cursor.update({ ...cursor.value, used: true });
        cursor.continue();
      };
    });
    await inTx(db, ['sessions'], 'readwrite', (tx) => {
      const cursorReq = tx.objectStore('sessions').index('by_room').openCursor('r2');
      cursorReq.onsuccess = () => {
        const cursor = cursorReq.result;
        if (!cursor) return;
        if (cursor.value.id === 'c') cursor.update({ ...cursor.value, room: 'r3' });
        else cursor.delete();
        cursor.continue();
      };
    });
    idb = await restart(idb, db);
    db = await openDb(idb, 'crypto', 1);
    expect(await all(db, 'sessions')).toEqual([
      { id: 'b', room: 'r1', used: true },
      { id: 'c', room: 'r3', used: false },
    ]);
    expect(await inTx(db, ['sessions'], 'readonly', (tx) => request(tx.objectStore('sessions').index('by_room').getAllKeys('r3')))).toEqual(['c']);
    db.close();
  });

  it('keeps auto-increment keys (in-line and out-of-line) and never hands out a used key again', async () => {
    let idb = await start();
    let db = await openDb(idb, 'crypto', 1, (d) => {
      d.createObjectStore('inline', { keyPath: 'n', autoIncrement: true });
      d.createObjectStore('outofline', { autoIncrement: true });
    });
    await inTx(db, ['inline', 'outofline'], 'readwrite', (tx) => {
      for (const word of ['one', 'two', 'three']) {
        tx.objectStore('inline').add({ word });
        tx.objectStore('outofline').add(word);
      }
    });
    // The highest keys go: a restart must not hand 3 out again.
    await inTx(db, ['inline', 'outofline'], 'readwrite', (tx) => {
      tx.objectStore('inline').delete(3);
      tx.objectStore('outofline').delete(3);
    });
    idb = await restart(idb, db);
    db = await openDb(idb, 'crypto', 1);
    expect(await all(db, 'inline')).toEqual([{ word: 'one', n: 1 }, { word: 'two', n: 2 }]);
    expect(await keys(db, 'outofline')).toEqual([1, 2]);
    const added = await inTx(db, ['inline', 'outofline'], 'readwrite', async (tx) => [await request(tx.objectStore('inline').add({ word: 'four' })), await request(tx.objectStore('outofline').add('four'))]);
    expect(added).toEqual([4, 4]);
    db.close();
  });

  it('keeps indexes with their key path, unique and multiEntry flags', async () => {
    let idb = await start();
    let db = await openDb(idb, 'crypto', 1, (d) => {
      const s = d.createObjectStore('devices', { keyPath: ['user', 'device'] });
      s.createIndex('by_key', 'identityKey', { unique: true });
      s.createIndex('by_tag', 'tags', { multiEntry: true });
      s.createIndex('by_user_and_trust', ['user', 'trusted']);
    });
    await inTx(db, ['devices'], 'readwrite', (tx) => {
      const s = tx.objectStore('devices');
      s.put({ user: '@a', device: 'D1', identityKey: 'k1', tags: ['x', 'y'], trusted: 1 });
      s.put({ user: '@a', device: 'D2', identityKey: 'k2', tags: ['y'], trusted: 0 });
    });
    idb = await restart(idb, db);
    db = await openDb(idb, 'crypto', 1);
    const index = (name: string, query: unknown) => inTx(db, ['devices'], 'readonly', (tx) => request(tx.objectStore('devices').index(name).getAllKeys(query)));
    expect(await index('by_tag', 'y')).toEqual([['@a', 'D1'], ['@a', 'D2']]);
    expect(await index('by_tag', 'x')).toEqual([['@a', 'D1']]);
    expect(await index('by_user_and_trust', ['@a', 0])).toEqual([['@a', 'D2']]);
    const schema = await inTx(db, ['devices'], 'readonly', (tx) => {
      const s = tx.objectStore('devices');
      return [...s.indexNames].map((n: string) => ({ name: n, keyPath: s.index(n).keyPath, unique: s.index(n).unique, multiEntry: s.index(n).multiEntry }));
    });
    expect(schema).toEqual([
      { name: 'by_key', keyPath: 'identityKey', unique: true, multiEntry: false },
      { name: 'by_tag', keyPath: 'tags', unique: false, multiEntry: true },
      { name: 'by_user_and_trust', keyPath: ['user', 'trusted'], unique: false, multiEntry: false },
    ]);
    // The unique index still refuses a second record with the same identity key.
    await expect(inTx(db, ['devices'], 'readwrite', (tx) => tx.objectStore('devices').put({ user: '@b', device: 'D3', identityKey: 'k1', tags: [], trusted: 0 }))).rejects.toThrow();
    db.close();
  });

  it('keeps versions and schema upgrades (stores and indexes added and removed, records written in the upgrade)', async () => {
    let idb = await start();
    let db = await openDb(idb, 'crypto', 1, (d) => {
      d.createObjectStore('old');
      d.createObjectStore('kept', { keyPath: 'id' });
    });
    await inTx(db, ['old', 'kept'], 'readwrite', (tx) => {
      tx.objectStore('old').put('gone soon', 1);
      tx.objectStore('kept').put({ id: 1, room: 'r' });
    });
    db.close();
    db = await openDb(idb, 'crypto', 2, (d, tx, oldVersion) => {
      expect(oldVersion).toBe(1);
      d.deleteObjectStore('old');
      d.createObjectStore('added').put('from the upgrade', 'k');
      tx.objectStore('kept').createIndex('by_room', 'room');
    });
    idb = await restart(idb, db);
    db = await openDb(idb, 'crypto', 2);
    expect(db.version).toBe(2);
    expect([...db.objectStoreNames]).toEqual(['added', 'kept']);
    expect(await all(db, 'added')).toEqual(['from the upgrade']);
    expect(await inTx(db, ['kept'], 'readonly', (tx) => request(tx.objectStore('kept').index('by_room').getAll('r')))).toEqual([{ id: 1, room: 'r' }]);
    db.close();
  });

  it('writes nothing of an aborted transaction (aborted by the caller, or by a failed request)', async () => {
    let idb = await start();
    let db = await openDb(idb, 'crypto', 1, (d) => d.createObjectStore('s'));
    await inTx(db, ['s'], 'readwrite', (tx) => {
      tx.objectStore('s').put('committed', 1);
      tx.objectStore('s').put('committed', 2);
    });
    await expect(
      inTx(db, ['s'], 'readwrite', (tx) => {
        tx.objectStore('s').put('aborted', 3);
        tx.objectStore('s').delete(1);
        tx.objectStore('s').clear();
        tx.abort();
      }),
    ).rejects.toThrow();
    await expect(
      inTx(db, ['s'], 'readwrite', (tx) => {
        tx.objectStore('s').put('aborted too', 4);
        tx.objectStore('s').delete(2);
        tx.objectStore('s').add('duplicate', 1); // ConstraintError: the transaction aborts
      }),
    ).rejects.toThrow();
    await idb.flush();
    idb = await restart(idb, db);
    db = await openDb(idb, 'crypto', 1);
    expect(await keys(db, 's')).toEqual([1, 2]);
    db.close();
  });

  it('writes each transaction when it completes: a second instance opened without closing the first (a kill) sees it', async () => {
    const idb = await start();
    const db = await openDb(idb, 'crypto', 1, (d) => d.createObjectStore('s'));
    await inTx(db, ['s'], 'readwrite', (tx) => tx.objectStore('s').put('there', 'k'));
    const second = await start();
    const seen = await openDb(second, 'crypto', 1);
    expect(await all(seen, 's')).toEqual(['there']);
    seen.close();
    db.close();
  });

  it('forgets a deleted database', async () => {
    let idb = await start();
    const db = await openDb(idb, 'crypto', 3, (d) => d.createObjectStore('s'));
    await inTx(db, ['s'], 'readwrite', (tx) => tx.objectStore('s').put('v', 1));
    db.close();
    await openDb(idb, 'other', 1, (d) => d.createObjectStore('s')).then((d) => d.close());
    await request(idb.factory.deleteDatabase('crypto'));
    idb = await restart(idb);
    expect(idb.hasDatabase('crypto')).toBe(false);
    expect(idb.hasDatabase('other')).toBe(true);
    const fresh = await openDb(idb, 'crypto', 1, (d) => d.createObjectStore('s'));
    expect(fresh.version).toBe(1);
    expect(await all(fresh, 's')).toEqual([]);
    fresh.close();
  });

  it('leaves other fake-indexeddb factories alone', async () => {
    const { IDBFactory } = await import('fake-indexeddb');
    const idb = await start();
    const plain = new IDBFactory() as any;
    expect(plain.open).toBe(IDBFactory.prototype.open);
    expect(idb.factory.open).not.toBe(IDBFactory.prototype.open);
  });
});
