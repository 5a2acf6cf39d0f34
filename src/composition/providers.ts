// Composition step 4: the model providers (profiles, routes, failover) from config. API keys
// resolve through the secret sources and are handed to the redactor the moment they are read.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { SecretSources } from '../config/secret-ref.js';
import { createProvidersFromConfig, type ConfiguredProviders } from '../providers/from-config.js';
import type { SecretRedactor } from '../security/secret-redactor.js';
import { createProviderStateStore } from '../store/provider-state.js';
import type { Db } from '../store/database.js';

export interface ProvidersDeps {
  config: Readonly<Config>;
  db: Db;
  logger: Logger;
  secretSources: SecretSources;
  redactor: SecretRedactor;
}

export function buildProviders({ config, db, logger, secretSources, redactor }: ProvidersDeps): ConfiguredProviders {
  return createProvidersFromConfig(config, {
    logger,
    secrets: secretSources,
    onSecret: (key) => redactor.add(key),
    persist: createProviderStateStore(db),
    redact: (text) => redactor.redact(text),
    dataDir: config.data_dir,
    log: (level, message) => logger[level]({ module: 'providers' }, message),
  });
}
