// `securesphere audit verify|tail|export`: checks and reads the tamper-evident audit chain.
// Reading needs only the database; verify also needs the trusted public key, which never
// comes from the database itself (that would let a forger supply their own).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import type { AuditEvent } from '../../security/audit-log.js';
import { exportAuditJsonl, tailAuditEvents } from '../../security/audit-read.js';
import { auditSigningKeyPathOf, loadAuditPublicKey } from '../../security/audit-signing-key.js';
import { verifyAuditChain, type AuditVerifyResult } from '../../security/audit-verify.js';
import { openDatabase, type Db } from '../../store/database.js';
import { loadConfigFor } from '../global-options.js';
import { visibleText } from '../../core/visible-text.js';

/** Where a command reads and writes; injectable so tests need no real terminal. */
export interface CommandIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Readonly<Record<string, string | undefined>>;
  setExitCode(code: number): void;
}

export function defaultCommandIo(): CommandIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    setExitCode: (code) => {
      process.exitCode = code;
    },
  };
}

export interface AuditCliDeps {
  db: Db;
  /** Loaded only by `verify`; tail and export work without the key. */
  publicKey(): KeyObject | string;
  close(): void | Promise<void>;
}

export type OpenAudit = (command: Command) => Promise<AuditCliDeps>;

/** Default opener: the configured data dir and signing key (security.audit.signing_key_file). */
export const openAuditFromConfig: OpenAudit = async (command) => {
  const { config } = loadConfigFor(command);
  const db = openDatabase(config.data_dir);
  const keyPath = auditSigningKeyPathOf(config);
  return { db, publicKey: () => loadAuditPublicKey(keyPath), close: () => void db.close() };
};

export function formatVerifyResult(result: AuditVerifyResult): string {
  if (result.ok) return `audit chain ok: ${result.checkedEvents} events, ${result.checkpoints} signed checkpoints verified`;
  return `audit chain BROKEN at seq ${result.firstBadSeq}: ${result.reason} (${result.checkedEvents} events verified before it)`;
}

/** Runs the verification and prints it; returns the exit code (0 ok, 1 broken). */
export function runAuditVerify(db: Db, publicKey: KeyObject | string, out: NodeJS.WritableStream): number {
  const result = verifyAuditChain(db, publicKey);
  out.write(`${formatVerifyResult(result)}\n`);
  return result.ok ? 0 : 1;
}

/**
 * One event as a line for a terminal. JSON.stringify escapes C0 controls but not C1 controls,
 * bidi overrides or zero-width characters, which an actor name or a detail from a model can
 * carry: visibleText makes those visible too, so the line is exactly one inert line.
 */
export function formatAuditEvent(e: AuditEvent): string {
  const conv = e.conversationId ? ` conv=${JSON.stringify(e.conversationId)}` : '';
  return visibleText(`#${e.seq} ${e.time} ${e.type} actor=${JSON.stringify(e.actor)}${conv} ${JSON.stringify(e.details ?? {})}`);
}

/** Writes lines to a stream, waiting for it to drain so a large export does not pile up in memory. */
export async function writeLines(out: NodeJS.WritableStream, lines: Iterable<string>): Promise<number> {
  let n = 0;
  for (const line of lines) {
    n += 1;
    if (!out.write(`${line}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  return n;
}

export function registerAuditCommands(program: Command, open: OpenAudit = openAuditFromConfig, io: CommandIo = defaultCommandIo()): void {
  const audit = program.command('audit').description('verify and read the tamper-evident audit chain');

  const withDeps = async (command: Command, fn: (deps: AuditCliDeps) => Promise<void> | void) => {
    const deps = await open(command);
    try {
      await fn(deps);
    } finally {
      await deps.close();
    }
  };

  audit
    .command('verify')
    .description('check every event hash and checkpoint signature; exits 1 and names the first bad seq if the chain was tampered with')
    .option('--public-key <file>', 'PEM public key to trust (default: from the configured signing key)')
    .action(async (opts: { publicKey?: string }, command: Command) =>
      withDeps(command, (deps) => {
        const key = opts.publicKey ? createPublicKey(readFileSync(opts.publicKey)) : deps.publicKey();
        const code = runAuditVerify(deps.db, key, io.stdout);
        if (code !== 0) io.setExitCode(code);
      }),
    );

  audit
    .command('tail')
    .description('print the most recent events')
    .addOption(new Option('-n, --lines <n>', 'how many events').default('20').argParser(positiveInt))
    .option('--jsonl', 'one JSON object per line')
    .action(async (opts: { lines: string | number; jsonl?: boolean }, command: Command) =>
      withDeps(command, async (deps) => {
        const events = tailAuditEvents(deps.db, Number(opts.lines));
        await writeLines(io.stdout, events.map((e) => (opts.jsonl ? JSON.stringify(e) : formatAuditEvent(e))));
      }),
    );

  audit
    .command('export')
    .description('write every event as JSON lines to stdout, oldest first')
    .option('--jsonl', 'JSON lines (the only format; accepted for clarity)')
    .action(async (_opts, command: Command) =>
      withDeps(command, async (deps) => {
        await writeLines(io.stdout, exportAuditJsonl(deps.db));
      }),
    );
}

function positiveInt(value: string): number {
  const n = Number.parseInt(value, 10);
  if (!Number.isInteger(n) || n < 1 || String(n) !== value.trim()) throw new InvalidArgumentError(`expected a positive whole number, got ${JSON.stringify(value)}`);
  return Math.min(n, 1000);
}
