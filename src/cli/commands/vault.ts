// `securesphere vault set|list|rm|rotate-key|status`. Values come from stdin, never argv
// (argv is visible to every user via ps and lands in shell history), and are never printed.
import type { Command } from 'commander';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import { createAuditChainFromConfig } from '../../security/audit-chain.js';
import type { AuditLog } from '../../security/audit-log.js';
import { createSecretRedactor } from '../../security/secret-redactor.js';
import { createVault, validateSecretName, type Vault, type VaultEntry } from '../../security/vault/vault.js';
import { openDatabase } from '../../store/database.js';
import { loadConfigFor } from '../global-options.js';
import { defaultCommandIo, type CommandIo } from './audit.js';

export interface VaultCliDeps {
  vault: Vault;
  /** When given, set/rm/rotate-key are recorded (name and version only, never a value). */
  audit?: AuditLog;
  close(): void | Promise<void>;
}

export type OpenVault = (command: Command) => Promise<VaultCliDeps>;

/** Env var `vault rotate-key` reads the new key from when stdin is a terminal. */
export const NEW_MASTER_KEY_ENV = 'SECURESPHERE_NEW_MASTER_KEY';

/** Default opener: the configured data dir, SECURESPHERE_MASTER_KEY, or security.vault.key_file. */
export function openVaultFromConfig(env: Readonly<Record<string, string | undefined>> = process.env): OpenVault {
  return async (command) => {
    const { config } = loadConfigFor(command);
    const db = openDatabase(config.data_dir);
    try {
      const redactor = createSecretRedactor();
      const vault = createVault({ db, masterKey: env.SECURESPHERE_MASTER_KEY, keyFile: config.security.vault.key_file, redactor });
      const audit = createAuditChainFromConfig(db, config, redactor);
      return { vault, audit, close: () => void db.close() };
    } catch (err) {
      db.close();
      throw err;
    }
  };
}

/** Reads a whole value from stdin; one trailing newline (from echo or a terminal) is dropped. */
export async function readSecretFromStdin(stdin: NodeJS.ReadableStream, maxBytes = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > maxBytes) throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `The value on stdin is larger than ${maxBytes} bytes.`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function runVaultSet(vault: Vault, name: string, io: Pick<CommandIo, 'stdin' | 'stderr'>): Promise<VaultEntry> {
  validateSecretName(name);
  if (io.stdin.isTTY) io.stderr.write(`Type the value for ${name}, then press Enter and Ctrl-D:\n`);
  const value = await readSecretFromStdin(io.stdin);
  if (value.length === 0) throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `No value on stdin for ${name}: pipe it in, e.g. \`printf %s "$TOKEN" | securesphere vault set ${name}\`.`);
  return vault.set(name, value);
}

/** Names, versions and dates only: list output never contains a value. */
export function formatVaultList(entries: readonly VaultEntry[]): string {
  if (entries.length === 0) return 'The vault holds no secrets.';
  const width = Math.max(4, ...entries.map((e) => e.name.length));
  const lines = entries.map((e) => `${e.name.padEnd(width)}  v${String(e.version).padEnd(4)} created ${e.createdAt.toISOString()}  updated ${e.updatedAt.toISOString()}`);
  return [`${'NAME'.padEnd(width)}  VERSION`, ...lines].join('\n');
}

/** The new key from stdin when piped, else from SECURESPHERE_NEW_MASTER_KEY. */
export async function readNewMasterKey(io: Pick<CommandIo, 'stdin' | 'env'>): Promise<string> {
  const fromStdin = io.stdin.isTTY ? '' : await readSecretFromStdin(io.stdin);
  const key = fromStdin || io.env[NEW_MASTER_KEY_ENV] || '';
  if (!key) {
    throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `No new master key: pipe it on stdin or set ${NEW_MASTER_KEY_ENV}.`);
  }
  return key;
}

export function registerVaultCommands(program: Command, open: OpenVault = openVaultFromConfig(), io: CommandIo = defaultCommandIo()): void {
  const vault = program.command('vault').description('manage encrypted secrets (referenced from config as vault:NAME)');

  const withVault = async (command: Command, fn: (v: Vault, record: (type: string, details: Record<string, unknown>) => void) => Promise<void> | void) => {
    const deps = await open(command);
    const record = (type: string, details: Record<string, unknown>) => deps.audit?.append({ type, actor: 'cli', details });
    try {
      await fn(deps.vault, record);
    } finally {
      await deps.close();
    }
  };

  vault
    .command('set <name>')
    .description('store a secret; the value is read from stdin, never from the command line')
    .action(async (name: string, _opts, command: Command) =>
      withVault(command, async (v, record) => {
        const entry = await runVaultSet(v, name, io);
        record('vault-secret-set', { name: entry.name, version: entry.version });
        io.stdout.write(`stored ${entry.name} (version ${entry.version})\n`);
      }),
    );

  vault
    .command('list')
    .description('list secret names, versions and dates (never values)')
    .option('--json', 'JSON output')
    .action(async (opts: { json?: boolean }, command: Command) =>
      withVault(command, (v) => {
        const entries = v.list();
        io.stdout.write(`${opts.json ? JSON.stringify(entries) : formatVaultList(entries)}\n`);
      }),
    );

  vault
    .command('rm <name>')
    .description('delete a secret')
    .action(async (name: string, _opts, command: Command) =>
      withVault(command, (v, record) => {
        if (v.rm(name)) {
          record('vault-secret-removed', { name });
          io.stdout.write(`removed ${name}\n`);
        }
        else {
          io.stderr.write(`no secret named ${name}\n`);
          io.setExitCode(1);
        }
      }),
    );

  vault
    .command('status')
    .description('say whether the vault is sealed and how many secrets it holds')
    .action(async (_opts, command: Command) =>
      withVault(command, (v) => {
        io.stdout.write(`${v.status().message}\n`);
      }),
    );

  vault
    .command('rotate-key')
    .description(`re-encrypt every secret under a new master key (from stdin, or ${NEW_MASTER_KEY_ENV})`)
    .action(async (_opts, command: Command) =>
      withVault(command, async (v, record) => {
        const key = await readNewMasterKey(io);
        v.rotateKey(key);
        record('vault-key-rotated', { secrets: v.list().length });
        const source = v.status().keySource;
        const where = source === 'key-file' ? 'the key file (security.vault.key_file, mode 0600)' : 'SECURESPHERE_MASTER_KEY';
        io.stdout.write(`vault re-encrypted under the new master key. Put the new key in ${where} before the next start.\n`);
      }),
    );
}
