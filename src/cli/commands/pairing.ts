// `securesphere pairing list|approve CODE`: lets a platform user who got a pairing code talk to
// a channel in `access: pairing` mode. Works on the data dir directly (the running gateway reads
// the same table on every message, so an approval takes effect at once). The approval is
// audited with the operator as actor. Never prints anything but codes, ids and names.
import type { Command } from 'commander';
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
import { createAuditChainFromConfig } from '../../security/audit-chain.js';
import { createSecretRedactor } from '../../security/secret-redactor.js';
import { openDatabase } from '../../store/database.js';
import { PairingStore } from '../../store/pairings.js';
import { loadConfigFor } from '../global-options.js';

export function registerPairingCommands(program: Command): void {
  const pairing = program.command('pairing').description('approve platform users who asked to pair with a channel (access: pairing)');

  pairing
    .command('list')
    .description('pending and approved pairings')
    .action((_opts: unknown, command: Command) => {
      withStore(command, ({ store }) => {
        const rows = store.list();
        if (rows.length === 0) console.log('No pairing requests.');
        for (const p of rows) {
          console.log(`${p.state.padEnd(8)} ${p.state === 'pending' ? p.code : '-'.padEnd(8)}  ${p.channel}:${p.platformUserId}  ${JSON.stringify(p.senderName)}  ${p.requestedAt.toISOString()}`);
        }
      });
    });

  pairing
    .command('approve <code>')
    .description('let the user who was given CODE talk to the bot')
    .action((code: string, _opts: unknown, command: Command) => {
      withStore(command, ({ store, audit }) => {
        const approved = store.approve(code, 'cli:operator');
        if (!approved) throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No pending pairing code ${code.trim().toUpperCase()} (codes expire after an hour; the user gets a new one with their next message). See \`securesphere pairing list\`.`);
        audit.append({ type: 'pairing-approved', actor: 'cli:operator', details: { channel: approved.channel, user: `${approved.channel}:${approved.platformUserId}` } });
        console.log(`Paired ${approved.channel}:${approved.platformUserId} (${approved.senderName}).`);
      });
    });
}

function withStore(command: Command, run: (deps: { store: PairingStore; audit: ReturnType<typeof createAuditChainFromConfig> }) => void): void {
  const { config } = loadConfigFor(command);
  const db = openDatabase(config.data_dir);
  try {
    run({ store: new PairingStore(db), audit: createAuditChainFromConfig(db, config, createSecretRedactor()) });
  } finally {
    db.close();
  }
}
