// The Matrix channel's entry in the registry: config schema, access settings, and how its
// adapter is built (secret references resolved here). The SDK is loaded only when the channel
// starts (adapter.ts imports it lazily): the registry is imported by every gateway. Must never
// export a matrix-js-sdk type.
import { accessFromSection, streamingFromSection } from '../access-config.js';
import type { ChannelDefinition } from '../channel.js';
import { createMatrixAdapter } from './adapter.js';
import { matrixConfigSchema, type MatrixConfig } from './config.js';

export const matrixChannel: ChannelDefinition<MatrixConfig> = {
  name: 'matrix',
  configSchema: matrixConfigSchema,
  access: (config) => accessFromSection(config),
  streaming: (config) => streamingFromSection(config),
  create(config, deps) {
    const credential = config.access_token
      ? { accessToken: deps.resolveSecret(config.access_token, 'channels.matrix.access_token') }
      : { password: deps.resolveSecret(config.password!, 'channels.matrix.password') };
    const passphrase = config.crypto_store_passphrase ? deps.resolveSecret(config.crypto_store_passphrase, 'channels.matrix.crypto_store_passphrase') : undefined;
    return createMatrixAdapter({ config, credential, logger: deps.logger, dataDir: deps.dataDir, ...(passphrase !== undefined ? { cryptoStorePassphrase: passphrase } : {}) });
  },
};

export { matrixConfigSchema, type MatrixConfig } from './config.js';
