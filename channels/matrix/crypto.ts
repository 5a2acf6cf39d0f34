// The Matrix bot's end-to-end crypto across restarts: the SDK's Rust crypto on an IndexedDB kept
// in <data_dir>/matrix/crypto-store.db (persistent-indexeddb.ts), so the device's Olm account,
// Megolm sessions and tracked devices are there again after a restart with the same device.
// When the store cannot serve this device (it belongs to another device or user, its passphrase
// changed, or the homeserver already holds keys this store never had) encryption is off for the
// run and the log says what to do: encrypted rooms stay unanswered, nothing crash-loops.
// Must never log a key, a passphrase or a token, or start crypto on a store of another device.
import { join } from 'node:path';
import type * as Sdk from 'matrix-js-sdk';
import { describeError } from '../../src/core/errors.js';
import type { ChannelLogger } from '../channel.js';
import { installIndexedDBGlobals, type InstalledIndexedDB } from './indexeddb-globals.js';
import { openPersistentIndexedDB, type PersistentIndexedDB } from './persistent-indexeddb.js';
import { deviceHasKeys, type MatrixSession } from './session.js';

/** The IndexedDB name prefix of the Rust crypto store (the SDK appends "::matrix-sdk-crypto"). */
export const CRYPTO_DB_PREFIX = 'securesphere';
const CRYPTO_DB = `${CRYPTO_DB_PREFIX}::matrix-sdk-crypto`;
export const CRYPTO_STORE_FILE = 'crypto-store.db';

export type CryptoState = 'persistent' | 'unavailable';

export interface CryptoStore {
  /** Whether the store already holds a crypto database (an earlier run's device). */
  readonly hadDevice: boolean;
  /** Starts the Rust crypto on the client; 'unavailable' (logged) when this store cannot serve the device. */
  start(client: Sdk.MatrixClient, session: MatrixSession & { homeserver: string; userId: string; passwordLogin: boolean }): Promise<CryptoState>;
  /** After client.stopClient(): waits for the last writes, closes the file, removes the globals. */
  close(): Promise<void>;
}

async function deleteDatabase(factory: PersistentIndexedDB['factory'], name: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const request = factory.deleteDatabase(name);
    request.addEventListener('success', () => resolve());
    request.addEventListener('error', () => reject(request.error));
  });
}

export async function openCryptoStore(options: { stateDir: string; logger: ChannelLogger; passphrase?: string }): Promise<CryptoStore> {
  const { logger } = options;
  const file = join(options.stateDir, CRYPTO_STORE_FILE);
  const idb: PersistentIndexedDB = await openPersistentIndexedDB({
    file,
    onError: (err) => logger.error({ err: describeError(err) }, 'matrix: a crypto store change could not be written to disk; after a restart this device may miss keys'),
  });
  const hadDevice = idb.hasDatabase(CRYPTO_DB);
  let globals: InstalledIndexedDB | undefined;

  const unavailable = (details: Record<string, unknown>, message: string): CryptoState => {
    logger.error({ ...details, crypto_store: file }, message);
    return 'unavailable';
  };

  return {
    hadDevice,
    async start(client, session) {
      if (hadDevice && session.newDevice) {
        // The password login just made this device (the stored session was lost or revoked): the
        // store holds an earlier device whose token is gone, so its keys can serve no one.
        logger.warn({ device: session.deviceId, crypto_store: file }, 'matrix: the crypto store held an earlier device of this bot whose session is gone; it starts over for the new device (messages encrypted for the old device stay unreadable)');
        for (const name of [CRYPTO_DB, `${CRYPTO_DB}-meta`]) if (idb.hasDatabase(name)) await deleteDatabase(idb.factory, name);
      } else if (!hadDevice && (await deviceHasKeys(session.homeserver, session))) {
        return unavailable(
          { device: session.deviceId },
          `matrix: device ${session.deviceId} already has end-to-end keys on the homeserver that this crypto store never held (they come from before the store was kept, or the store file was deleted): encrypted rooms stay unanswered. Give the bot a new access token (a new device)${session.passwordLogin ? ', or delete session.json next to the store so the next start logs in as a new device' : ''}.`,
        );
      }
      try {
        globals = installIndexedDBGlobals(idb.factory);
      } catch (err) {
        return unavailable({ err: describeError(err) }, 'matrix: the crypto store could not be installed: encrypted rooms stay unanswered');
      }
      try {
        await client.initRustCrypto({ useIndexedDB: true, cryptoDatabasePrefix: CRYPTO_DB_PREFIX, ...(options.passphrase !== undefined ? { storagePassword: options.passphrase } : {}) });
      } catch (err) {
        return unavailable(
          { err: describeError(err), device: session.deviceId },
          `matrix: the crypto store does not open for device ${session.deviceId} of ${session.userId} (it belongs to another device or user, e.g. the access token was changed, or channels.matrix.crypto_store_passphrase changed): encrypted rooms stay unanswered. Go back to the earlier access token and passphrase, or move the store file away to start it over for this device (messages encrypted for the old device stay unreadable).`,
        );
      }
      return 'persistent';
    },
    async close() {
      await idb.close();
      globals?.remove();
      globals = undefined;
    },
  };
}
