// How the Matrix bot gets its access token: the configured one, or a password exchanged once
// (POST /login) for a token kept in <data_dir>/matrix/session.json (mode 0600) and reused on
// every later start. Must never log a token or a password, or write the session file readable
// by anyone but the gateway's user.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';

export type MatrixCredential = { accessToken: string } | { password: string };

export interface MatrixSession {
  accessToken: string;
  /** The device the token belongs to (needed for end-to-end encryption). */
  deviceId?: string;
  /** True when this start logged in with the password: a device no crypto store has held. */
  newDevice?: boolean;
}

interface StoredSession {
  homeserver: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

export function matrixStateDir(dataDir: string): string {
  const dir = join(dataDir, 'matrix');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function readStored(file: string): StoredSession | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredSession>;
    if (typeof parsed.accessToken === 'string' && typeof parsed.deviceId === 'string' && typeof parsed.userId === 'string' && typeof parsed.homeserver === 'string') {
      return parsed as StoredSession;
    }
  } catch {
    // unreadable: log in again below
  }
  return undefined;
}

/** Asks the homeserver who a token belongs to (GET /account/whoami). */
export async function whoAmI(homeserver: string, accessToken: string): Promise<{ userId: string; deviceId?: string }> {
  let res: Response;
  try {
    res = await fetch(`${homeserver}/_matrix/client/v3/account/whoami`, { headers: { authorization: `Bearer ${accessToken}` } });
  } catch (err) {
    throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `The Matrix homeserver ${homeserver} could not be reached: check channels.matrix.homeserver_url.`, { cause: err });
  }
  const body = (await res.json().catch(() => ({}))) as { user_id?: string; device_id?: string; errcode?: string };
  if (!res.ok || typeof body.user_id !== 'string') {
    throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `The Matrix homeserver refused the bot's access token (${res.status} ${body.errcode ?? ''}): check channels.matrix.access_token.`);
  }
  return { userId: body.user_id, ...(typeof body.device_id === 'string' ? { deviceId: body.device_id } : {}) };
}

/**
 * Whether the homeserver already holds end-to-end keys for this device (POST /keys/query). A
 * crypto store that never held this device would try to upload different keys, which the
 * homeserver refuses.
 */
export async function deviceHasKeys(homeserver: string, session: MatrixSession & { userId: string }): Promise<boolean> {
  if (!session.deviceId) return false;
  const res = await fetch(`${homeserver}/_matrix/client/v3/keys/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ device_keys: { [session.userId]: [session.deviceId] } }),
  });
  if (!res.ok) return false;
  const body = (await res.json().catch(() => ({}))) as { device_keys?: Record<string, Record<string, unknown>> };
  return body.device_keys?.[session.userId]?.[session.deviceId] !== undefined;
}

async function logout(homeserver: string, accessToken: string): Promise<void> {
  await fetch(`${homeserver}/_matrix/client/v3/logout`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined);
}

export async function openSession(options: {
  homeserver: string;
  userId: string;
  credential: MatrixCredential;
  stateDir: string;
  deviceName: string;
  /**
   * Log in as a new device even when a stored session exists (the old device is logged out, so
   * its keys go too): used when the crypto store holds no device yet, so the stored device's
   * keys (on the homeserver) are not in it.
   */
  freshDevice?: boolean;
}): Promise<MatrixSession> {
  const { homeserver, userId, credential } = options;
  if ('accessToken' in credential) {
    const who = await whoAmI(homeserver, credential.accessToken);
    if (who.userId !== userId) {
      throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `The Matrix access token belongs to ${who.userId}, not to channels.matrix.user_id ${userId}.`);
    }
    return { accessToken: credential.accessToken, ...(who.deviceId ? { deviceId: who.deviceId } : {}) };
  }
  const file = join(options.stateDir, 'session.json');
  const stored = readStored(file);
  if (stored && options.freshDevice) await logout(homeserver, stored.accessToken);
  else if (stored && stored.homeserver === homeserver && stored.userId === userId) {
    try {
      await whoAmI(homeserver, stored.accessToken);
      return { accessToken: stored.accessToken, deviceId: stored.deviceId };
    } catch {
      // revoked or expired: log in again
    }
  }
  let res: Response;
  try {
    res = await fetch(`${homeserver}/_matrix/client/v3/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: userId }, password: credential.password, initial_device_display_name: options.deviceName }),
    });
  } catch (err) {
    throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `The Matrix homeserver ${homeserver} could not be reached: check channels.matrix.homeserver_url.`, { cause: err });
  }
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; device_id?: string; errcode?: string };
  if (!res.ok || typeof body.access_token !== 'string' || typeof body.device_id !== 'string') {
    throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `The Matrix homeserver refused the bot's password login (${res.status} ${body.errcode ?? ''}): check channels.matrix.password.`);
  }
  const session: StoredSession = { homeserver, userId, accessToken: body.access_token, deviceId: body.device_id };
  writeFileSync(file, JSON.stringify(session), { mode: 0o600 });
  chmodSync(file, 0o600);
  return { accessToken: session.accessToken, deviceId: session.deviceId, newDevice: true };
}
