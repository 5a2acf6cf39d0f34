// Composition step 1: the pieces every later step leans on for safety — the secret redactor,
// the redacting logger, the audit chain, the vault and the secret sources config references
// resolve against, and the API token. Never logs or returns a secret in a message.
import type { Logger } from 'pino';
import { resolveApiToken } from '../api/api-token.js';
import type { Config } from '../config/schema.js';
import type { SecretSources } from '../config/secret-ref.js';
import { createLogger, type LogDestination } from '../core/logger.js';
import { createAuditChainFromConfig, type AuditChain } from '../security/audit-chain.js';
import { createSecretRedactor, type SecretRedactor } from '../security/secret-redactor.js';
import { createVault, type Vault } from '../security/vault/vault.js';
import type { Db } from '../store/database.js';

export interface SecurityDeps {
  config: Readonly<Config>;
  db: Db;
  env: Readonly<Record<string, string | undefined>>;
  logDestination?: LogDestination;
}

export interface SecurityServices {
  redactor: SecretRedactor;
  logger: Logger;
  audit: AuditChain;
  vault: Vault;
  /** Where `${env:NAME}` and `vault:NAME` references resolve; a sealed vault is no source. */
  secretSources: SecretSources;
  apiToken: string;
  /** Generated on first start: printed once by `securesphere start`. */
  apiTokenCreated: boolean;
}

export function buildSecurity({ config, db, env, logDestination }: SecurityDeps): SecurityServices {
  const redactor = createSecretRedactor();
  const logger = createLogger({ level: config.logging.level, format: config.logging.format, redactor, destination: logDestination });
  const audit = createAuditChainFromConfig(db, config, redactor);
  const vault = createVault({ db, masterKey: env.SECURESPHERE_MASTER_KEY, keyFile: config.security.vault.key_file, redactor });
  const vaultStatus = vault.status();
  if (vaultStatus.sealed) logger.warn({ vault: 'sealed' }, vaultStatus.message);
  // A sealed vault is no source at all, so a vault:NAME reference fails naming the config key
  // and the reason (sealed), not "no such secret" or a bare VAULT_SEALED error.
  const secretSources: SecretSources = { env, vault: vaultStatus.sealed ? undefined : (name: string) => (vault.has(name) ? vault.get(name) : undefined) };

  const { token: apiToken, created: apiTokenCreated } = resolveApiToken(config, secretSources);
  redactor.add(apiToken);
  return { redactor, logger, audit, vault, secretSources, apiToken, apiTokenCreated };
}
