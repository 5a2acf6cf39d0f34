// A real Synapse homeserver for the Matrix channel's tests: a config written per run into a
// temp dir (SQLite, one loopback listener with only the client API, no federation, no key
// servers, registration closed except through the shared secret, rate limits out of the way),
// started as a child process, users registered through the shared-secret admin API, stopped
// (and its dir removed) by stop(). Synapse comes from scripts/setup-synapse.sh's virtualenv.
// Without it the suite is skipped; with REQUIRE_SANDBOX=1 (CI) a missing Synapse FAILS.
// Must never listen on anything but 127.0.0.1 or leave a homeserver running after stop().
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { sandboxRequired } from './sandbox.js';

export const SYNAPSE_VENV = process.env.SECURESPHERE_SYNAPSE_VENV ?? '/var/cache/securesphere/synapse-venv';
export const SERVER_NAME = 'ss.test';

export interface MatrixUser {
  userId: string;
  accessToken: string;
  deviceId: string;
  password: string;
}

export interface Synapse {
  /** http://127.0.0.1:PORT */
  url: string;
  serverName: string;
  register(localpart: string, options?: { admin?: boolean }): Promise<MatrixUser>;
  /** Everything Synapse wrote to its log file (warnings and up). */
  log(): string;
  stop(): Promise<void>;
  /** SIGKILL at once (for process 'exit' handlers, which cannot wait). */
  killNow(): void;
}

export function synapseAvailable(): { available: boolean; reason: string } {
  const python = join(SYNAPSE_VENV, 'bin', 'python');
  if (!existsSync(python)) return { available: false, reason: `no Synapse virtualenv at ${SYNAPSE_VENV}: run scripts/setup-synapse.sh` };
  return { available: true, reason: 'Synapse virtualenv present' };
}

/** describe() that skips without Synapse, but fails when REQUIRE_SANDBOX=1. */
export function describeSynapse(name: string, fn: () => void): void {
  const status = synapseAvailable();
  if (status.available) describe(name, fn);
  else if (sandboxRequired()) {
    describe(name, () => {
      it('needs Synapse (REQUIRE_SANDBOX=1)', () => {
        throw new Error(`REQUIRE_SANDBOX=1 but Synapse is unavailable: ${status.reason}`);
      });
    });
  } else describe.skip(`${name} (skipped: ${status.reason})`, fn);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const HIGH = { per_second: 10_000, burst_count: 10_000 };

function homeserverYaml(dir: string, port: number, sharedSecret: string): string {
  const rc = JSON.stringify;
  // JSON is YAML: written as JSON so nothing needs a YAML library on this side.
  return rc({
    server_name: SERVER_NAME,
    pid_file: join(dir, 'homeserver.pid'),
    listeners: [{ port, bind_addresses: ['127.0.0.1'], type: 'http', tls: false, x_forwarded: false, resources: [{ names: ['client'], compress: false }] }],
    database: { name: 'sqlite3', args: { database: join(dir, 'homeserver.db') } },
    log_config: join(dir, 'log.yaml'),
    media_store_path: join(dir, 'media'),
    signing_key_path: join(dir, 'signing.key'),
    registration_shared_secret: sharedSecret,
    enable_registration: false,
    report_stats: false,
    macaroon_secret_key: randomBytes(24).toString('hex'),
    form_secret: randomBytes(24).toString('hex'),
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    federation_domain_whitelist: [],
    presence: { enabled: false },
    url_preview_enabled: false,
    rc_message: HIGH,
    rc_registration: HIGH,
    rc_login: { address: HIGH, account: HIGH, failed_attempts: HIGH },
    rc_joins: { local: HIGH, remote: HIGH },
    rc_joins_per_room: HIGH,
    rc_invites: { per_room: HIGH, per_user: HIGH, per_issuer: HIGH },
    rc_admin_redaction: HIGH,
    rc_key_requests: HIGH,
    rc_3pid_validation: HIGH,
    rc_room_creation: HIGH,
    rc_reports: HIGH,
    rc_delayed_event_mgmt: HIGH,
    rc_presence: { per_user: HIGH },
  });
}

function logYaml(dir: string): string {
  return JSON.stringify({
    version: 1,
    formatters: { plain: { format: '%(asctime)s %(levelname)s %(name)s %(message)s' } },
    handlers: { file: { class: 'logging.FileHandler', formatter: 'plain', filename: join(dir, 'homeserver.log') } },
    root: { level: 'WARNING', handlers: ['file'] },
    disable_existing_loggers: false,
  });
}

async function waitReady(url: string, child: ChildProcess, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const why = exited();
    if (why) throw new Error(`Synapse exited before it was ready: ${why}`);
    try {
      const res = await fetch(`${url}/_matrix/client/versions`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('Synapse was not ready within 60 s');
}

export async function startSynapse(): Promise<Synapse> {
  // A free port can be taken between the probe and Synapse's bind: one more try on a new port.
  try {
    return await startOnce();
  } catch (err) {
    if (!String(err).includes('Failed to listen')) throw err;
    return startOnce();
  }
}

async function startOnce(): Promise<Synapse> {
  const dir = mkdtempSync(join(tmpdir(), 'securesphere-synapse-'));
  const port = await freePort();
  const sharedSecret = randomBytes(24).toString('hex');
  // An ed25519 signing key in Synapse's file format ("ed25519 <key id> <unpadded base64 seed>").
  writeFileSync(join(dir, 'signing.key'), `ed25519 a_test ${randomBytes(32).toString('base64').replace(/=+$/, '')}\n`);
  writeFileSync(join(dir, 'homeserver.yaml'), homeserverYaml(dir, port, sharedSecret));
  writeFileSync(join(dir, 'log.yaml'), logYaml(dir));
  const child = spawn(join(SYNAPSE_VENV, 'bin', 'python'), ['-m', 'synapse.app.homeserver', '-c', join(dir, 'homeserver.yaml')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SYNAPSE_SERVER_NAME: SERVER_NAME },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let exitedWith: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitedWith = `code ${code} signal ${signal}: ${output.slice(-2000)}`;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, child, () => exitedWith);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  async function register(localpart: string, options: { admin?: boolean } = {}): Promise<MatrixUser> {
    const endpoint = `${url}/_synapse/admin/v1/register`;
    const { nonce } = (await (await fetch(endpoint)).json()) as { nonce: string };
    const password = randomBytes(12).toString('hex');
    const admin = options.admin ? 'admin' : 'notadmin';
    const mac = createHmac('sha1', sharedSecret).update(`${nonce}\0${localpart}\0${password}\0${admin}`).digest('hex');
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nonce, username: localpart, password, admin: options.admin === true, mac }),
    });
    const body = (await res.json()) as { user_id?: string; access_token?: string; device_id?: string; error?: string };
    if (!res.ok || !body.user_id || !body.access_token || !body.device_id) throw new Error(`registering ${localpart} failed: ${res.status} ${body.error ?? ''}`);
    return { userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id, password };
  }

  return {
    url,
    serverName: SERVER_NAME,
    register,
    killNow: () => {
      if (exitedWith === undefined) child.kill('SIGKILL');
    },
    log: () => (existsSync(join(dir, 'homeserver.log')) ? readFileSync(join(dir, 'homeserver.log'), 'utf8') : ''),
    async stop() {
      if (exitedWith === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
