// `securesphere vault ...` commands, run through commander with a real vault on a real SQLite
// file. The value only ever travels through stdin, and no output contains it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { createAuditChain } from '../../src/security/audit-chain.js';
import { createSecretRedactor } from '../../src/security/secret-redactor.js';
import { createVault } from '../../src/security/vault/vault.js';
import type { CommandIo } from '../../src/cli/commands/audit.js';
import { formatVaultList, openVaultFromConfig, readNewMasterKey, registerVaultCommands, runVaultSet } from '../../src/cli/commands/vault.js';

const KEY = 'cli test master key';
const CANARY = 'cli-canary-5b1e-value';
let dir: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-vault-cli-'));
  db = openDatabase(join(dir, 'data'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function makeIo(stdinText: string | null, env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const stdin = stdinText === null ? Object.assign(Readable.from([]), { isTTY: true }) : Readable.from([Buffer.from(stdinText)]);
  let exitCode = 0;
  const io: CommandIo = { stdin, stdout, stderr, env, setExitCode: (c) => (exitCode = c) };
  return { io, out: () => out, err: () => err, exitCode: () => exitCode };
}

async function run(args: string[], stdinText: string | null, options: { masterKey?: string; env?: Record<string, string> } = {}) {
  const h = makeIo(stdinText, options.env);
  const redactor = createSecretRedactor();
  const program = new Command('securesphere').exitOverride();
  program.configureOutput({ writeOut: (s) => h.io.stdout.write(s), writeErr: (s) => h.io.stderr.write(s) });
  registerVaultCommands(
    program,
    async () => ({
      vault: createVault({ db, masterKey: options.masterKey ?? KEY, redactor }),
      audit: createAuditChain({ db, signingKeyPath: join(dir, 'keys', 'audit.key'), checkpointEvery: 10, redactor }),
      close: () => undefined,
    }),
    h.io,
  );
  let thrown: unknown;
  try {
    await program.parseAsync(['node', 'securesphere', ...args]);
  } catch (e) {
    thrown = e;
  }
  return { ...h, thrown };
}

describe('vault CLI', () => {
  it('set reads the value from stdin; list shows names and dates only', async () => {
    const set = await run(['vault', 'set', 'SLACK_TOKEN'], `${CANARY}\n`);
    expect(set.thrown).toBeUndefined();
    expect(set.out()).toBe('stored SLACK_TOKEN (version 1)\n');
    expect(createVault({ db, masterKey: KEY }).get('SLACK_TOKEN')).toBe(CANARY);

    const list = await run(['vault', 'list'], '');
    expect(list.out()).toMatch(/SLACK_TOKEN\s+v1/);
    const json = await run(['vault', 'list', '--json'], '');
    expect(JSON.parse(json.out())).toEqual([expect.objectContaining({ name: 'SLACK_TOKEN', version: 1 })]);
    for (const r of [set, list, json]) expect(r.out() + r.err()).not.toContain(CANARY);
    // The CLI records the change in the audit chain, without the value.
    const rows = JSON.stringify(db.prepare('SELECT * FROM audit_events').all());
    expect(rows).toContain('vault-secret-set');
    expect(rows).not.toContain(CANARY);
  });

  it('never takes the value from argv', async () => {
    const r = await run(['vault', 'set', 'NAME', CANARY], '');
    expect(r.thrown).toBeDefined();
    expect(createVault({ db, masterKey: KEY }).has('NAME')).toBe(false);
  });

  it('refuses an empty stdin and an invalid name', async () => {
    const empty = await run(['vault', 'set', 'NAME'], '');
    expect((empty.thrown as { code?: string }).code).toBe(ERROR_CODES.BAD_REQUEST);
    const bad = await run(['vault', 'set', '../x'], 'value-xyz');
    expect((bad.thrown as { code?: string }).code).toBe(ERROR_CODES.BAD_REQUEST);
  });

  it('rm removes, and exits 1 for a missing name', async () => {
    await run(['vault', 'set', 'A'], 'value-of-a');
    const rm = await run(['vault', 'rm', 'A'], '');
    expect(rm.out()).toBe('removed A\n');
    const again = await run(['vault', 'rm', 'A'], '');
    expect(again.exitCode()).toBe(1);
  });

  it('rotate-key takes the new key from stdin, or from the environment when stdin is a terminal', async () => {
    await run(['vault', 'set', 'A'], 'value-of-a');
    const r = await run(['vault', 'rotate-key'], 'second master key value\n');
    expect(r.thrown).toBeUndefined();
    expect(r.out()).toMatch(/re-encrypted/);
    expect(createVault({ db, masterKey: 'second master key value' }).get('A')).toBe('value-of-a');
    const r2 = await run(['vault', 'rotate-key'], null, { masterKey: 'second master key value', env: { SECURESPHERE_NEW_MASTER_KEY: 'third master key value' } });
    expect(r2.thrown).toBeUndefined();
    expect(createVault({ db, masterKey: 'third master key value' }).get('A')).toBe('value-of-a');
    expect(r.out() + r2.out()).not.toMatch(/master key value/);
  });

  it('status reports a sealed vault and how to unseal it', async () => {
    const h = makeIo('');
    const program = new Command('securesphere').exitOverride();
    registerVaultCommands(program, async () => ({ vault: createVault({ db }), close: () => undefined }), h.io);
    await program.parseAsync(['node', 'securesphere', 'vault', 'status']);
    expect(h.out()).toMatch(/sealed.*SECURESPHERE_MASTER_KEY/);
  });

  it('plain helpers', async () => {
    const vault = createVault({ db, masterKey: KEY });
    const entry = await runVaultSet(vault, 'B', { stdin: Readable.from([Buffer.from('b-value\r\n')]), stderr: new PassThrough() });
    expect(entry.version).toBe(1);
    expect(vault.get('B')).toBe('b-value');
    expect(formatVaultList([])).toMatch(/no secrets/);
    await expect(readNewMasterKey({ stdin: Object.assign(Readable.from([]), { isTTY: true }), env: {} })).rejects.toThrow(/SECURESPHERE_NEW_MASTER_KEY/);
  });

  it('the default opener uses the configured data dir and the master key it is given', async () => {
    const dataDir = join(dir, 'cfg-data');
    const configFile = join(dir, 'securesphere.yaml');
    writeFileSync(configFile, `data_dir: ${JSON.stringify(dataDir)}\n`);
    const h = makeIo('opener-value\n');
    const program = new Command('securesphere').option('-c, --config <file>').option('--data-dir <dir>').exitOverride();
    registerVaultCommands(program, openVaultFromConfig({ SECURESPHERE_MASTER_KEY: KEY }), h.io);
    await program.parseAsync(['node', 'securesphere', '-c', configFile, 'vault', 'set', 'FROM_CONFIG']);
    expect(h.out()).toMatch(/stored FROM_CONFIG/);
    const other = openDatabase(dataDir);
    try {
      expect(createVault({ db: other, masterKey: KEY }).get('FROM_CONFIG')).toBe('opener-value');
    } finally {
      other.close();
    }
  });
});
