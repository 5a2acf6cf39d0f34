// The Matrix crypto store (channels/matrix/crypto.ts) with the real Rust crypto against a real
// Synapse, in this process: the same device opens its store again after close (its identity key
// unchanged); a crypto_store_passphrase encrypts what is stored (the room-key and account data
// are not readable in the file) and a different passphrase gets a clear error, not a crash; an
// IndexedDB someone else installed in the process is never replaced; the globals the store set
// are gone after close.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sdk from 'matrix-js-sdk';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import type { ChannelLogger } from '../../../channels/channel.js';
import { openCryptoStore, type CryptoStore } from '../../../channels/matrix/crypto.js';
import { describeSynapse, startSynapse, type MatrixUser, type Synapse } from '../../helpers/synapse.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, getChild: () => silent };

describeSynapse('matrix crypto store with the Rust crypto', () => {
  let synapse: Synapse;
  let stateDir: string;
  const errors: string[] = [];
  const logger: ChannelLogger = { debug() {}, info() {}, warn() {}, error: (obj, msg) => void errors.push(`${msg} ${JSON.stringify(obj)}`) };

  beforeAll(async () => {
    synapse = await startSynapse();
  }, 120_000);
  afterAll(async () => {
    await synapse?.stop();
  });
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'securesphere-matrix-store-'));
    errors.length = 0;
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  /** Opens the store, starts the crypto for the account's device, returns its state and identity key, closes. */
  async function run(account: MatrixUser, passphrase?: string): Promise<{ state: string; identityKey: string | undefined }> {
    const store: CryptoStore = await openCryptoStore({ stateDir, logger, ...(passphrase !== undefined ? { passphrase } : {}) });
    const client = sdk.createClient({ baseUrl: synapse.url, userId: account.userId, accessToken: account.accessToken, deviceId: account.deviceId, logger: silent });
    try {
      const state = await store.start(client, { accessToken: account.accessToken, deviceId: account.deviceId, homeserver: synapse.url, userId: account.userId, passwordLogin: false });
      const identityKey = state === 'persistent' ? (await client.getCrypto()!.getOwnDeviceKeys()).curve25519 : undefined;
      // The key backup check initRustCrypto starts in the background must end before the stop.
      if (state === 'persistent') await client.getCrypto()!.checkKeyBackupAndEnable();
      return { state, identityKey };
    } finally {
      client.stopClient();
      await store.close();
    }
  }

  it('opens the same device again with its keys; the globals it set are gone after close', async () => {
    const account = await synapse.register('same');
    const first = await run(account);
    expect(first.state).toBe('persistent');
    expect((globalThis as Record<string, unknown>).indexedDB).toBeUndefined();
    expect((globalThis as Record<string, unknown>).IDBKeyRange).toBeUndefined();
    const second = await run(account);
    expect(second).toEqual(first);
    expect(errors).toEqual([]);
  });

  it('encrypts the stored keys with a passphrase; another passphrase gets a clear error instead of a crash', async () => {
    const plain = await synapse.register('plain');
    const { identityKey: plainKey } = await run(plain);
    expect(readFileSync(join(stateDir, 'crypto-store.db')).includes(plain.deviceId)).toBe(true);
    rmSync(join(stateDir, 'crypto-store.db'));

    const secret = await synapse.register('secret');
    const first = await run(secret, 'correct horse battery');
    expect(first.state).toBe('persistent');
    expect(first.identityKey).not.toBe(plainKey);
    expect(readFileSync(join(stateDir, 'crypto-store.db')).includes(secret.deviceId)).toBe(false);
    expect(await run(secret, 'correct horse battery')).toEqual(first);
    expect(errors).toEqual([]);
    expect((await run(secret, 'another passphrase')).state).toBe('unavailable');
    expect(errors.join('\n')).toMatch(/the crypto store does not open for device .*crypto_store_passphrase changed/);
  });

  it('never replaces an IndexedDB someone else installed in the process', async () => {
    const account = await synapse.register('other');
    const theirs = { theirs: true };
    (globalThis as Record<string, unknown>).indexedDB = theirs;
    try {
      expect((await run(account)).state).toBe('unavailable');
      expect(errors.join('\n')).toMatch(/Another IndexedDB is already installed/);
      expect((globalThis as Record<string, unknown>).indexedDB).toBe(theirs);
    } finally {
      delete (globalThis as Record<string, unknown>).indexedDB;
    }
  });
});
