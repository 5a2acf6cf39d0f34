// Puts the persistent IndexedDB (persistent-indexeddb.ts) where matrix-sdk-crypto-wasm looks for
// it: the wasm takes `indexedDB` from the global object and checks results with `instanceof
// IDBRequest`, `IDBCursorWithValue`, ... against global classes, and matrix-js-sdk offers no way
// to hand it a factory. So the Matrix adapter's start sets these globals (fake-indexeddb's
// classes, its own factory) and its stop removes them again. Must never replace an IndexedDB
// someone else installed in this process: that is refused with a clear error instead.
import * as fake from 'fake-indexeddb';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';

const CLASSES = ['IDBFactory', 'IDBKeyRange', 'IDBCursor', 'IDBCursorWithValue', 'IDBDatabase', 'IDBIndex', 'IDBObjectStore', 'IDBOpenDBRequest', 'IDBRequest', 'IDBTransaction', 'IDBVersionChangeEvent'] as const;

export interface InstalledIndexedDB {
  /** Removes the globals again (those still set to what install put there). */
  remove(): void;
}

export function installIndexedDBGlobals(factory: object): InstalledIndexedDB {
  const values: Record<string, unknown> = { indexedDB: factory };
  for (const name of CLASSES) values[name] = fake[name];
  const global = globalThis as Record<string, unknown>;
  const taken = Object.keys(values).filter((name) => global[name] !== undefined);
  if (taken.length > 0) {
    throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `Another IndexedDB is already installed in this process (${taken.join(', ')}): the Matrix crypto store does not replace it. Run the Matrix channel in a gateway process without other IndexedDB users, or set channels.matrix.encryption: false.`);
  }
  for (const [name, value] of Object.entries(values)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true, enumerable: false });
  return {
    remove() {
      for (const [name, value] of Object.entries(values)) if (global[name] === value) delete global[name];
    },
  };
}
