// `securesphere tokens create NAME [--expires 30d] [--act-for-others] | list | revoke NAME`:
// API tokens bound to the identity `api:NAME`. The new token is printed once, on the last line
// of stdout (so scripts can take `| tail -n1`); only its SHA-256 is stored. Works on the data dir
// directly: the running gateway checks the same table on every request.
import type { Command } from 'commander';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import { createAuditChainFromConfig } from '../../security/audit-chain.js';
import { createSecretRedactor } from '../../security/secret-redactor.js';
import { ApiTokenStore } from '../../store/api-tokens.js';
import { openDatabase } from '../../store/database.js';
import { loadConfigFor } from '../global-options.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90m", "12h", "30d", or an ISO date; returns epoch ms. */
export function parseExpiry(value: string, now = Date.now()): number {
  const relative = /^(\d{1,6})([mhd])$/.exec(value.trim());
  if (relative) return now + Number(relative[1]) * UNITS[relative[2]!]!;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `Cannot read the expiry "${value.slice(0, 40)}": use e.g. 90m, 12h, 30d or an ISO date.`);
  return at;
}

export function registerTokenCommands(program: Command): void {
  const tokens = program.command('tokens').description('API tokens bound to an identity (api:NAME)');

  tokens
    .command('create <name>')
    .description('create a token acting as api:NAME; printed once, on the last line')
    .option('--expires <when>', 'expiry: 90m, 12h, 30d or an ISO date (default: never)')
    .option('--act-for-others', 'may post messages on behalf of other api: users')
    .action((name: string, opts: { expires?: string; actForOthers?: boolean }, command: Command) => {
      withStore(command, ({ store, audit }) => {
        const { token, info } = store.create({ name, ...(opts.expires ? { expiresAt: parseExpiry(opts.expires) } : {}), actForOthers: opts.actForOthers ?? false });
        audit.append({ type: 'api-token-created', actor: 'cli:operator', details: { identity: info.identity, expires_at: info.expiresAt?.toISOString() ?? null, act_for_others: info.actForOthers } });
        console.log(`Token for ${info.identity}${info.expiresAt ? `, expires ${info.expiresAt.toISOString()}` : ''}${info.actForOthers ? ', may act for others' : ''}. Shown once; store it now:`);
        console.log(token);
      });
    });

  tokens
    .command('list')
    .description('list tokens (never their values)')
    .action((_opts: unknown, command: Command) => {
      withStore(command, ({ store }) => {
        const rows = store.list();
        if (rows.length === 0) console.log('No named tokens (the operator token is api:operator).');
        for (const t of rows) {
          const state = t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : t.expiresAt && t.expiresAt.getTime() <= Date.now() ? 'expired' : 'active';
          console.log(`${t.identity}  ${state}  created ${t.createdAt.toISOString()}  expires ${t.expiresAt?.toISOString() ?? 'never'}  last used ${t.lastUsedAt?.toISOString() ?? 'never'}${t.actForOthers ? '  act-for-others' : ''}`);
        }
      });
    });

  tokens
    .command('revoke <name>')
    .description('revoke a token at once')
    .action((name: string, _opts: unknown, command: Command) => {
      withStore(command, ({ store, audit }) => {
        const info = store.revoke(name);
        audit.append({ type: 'api-token-revoked', actor: 'cli:operator', details: { identity: info.identity } });
        console.log(`Revoked ${info.identity}.`);
      });
    });
}

function withStore(command: Command, run: (deps: { store: ApiTokenStore; audit: ReturnType<typeof createAuditChainFromConfig> }) => void): void {
  const { config } = loadConfigFor(command);
  const db = openDatabase(config.data_dir);
  try {
    run({ store: new ApiTokenStore(db), audit: createAuditChainFromConfig(db, config, createSecretRedactor()) });
  } finally {
    db.close();
  }
}
