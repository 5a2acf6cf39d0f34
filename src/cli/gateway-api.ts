// The running gateway's HTTP API as a CLI command reaches it: the URL from the config (or
// --url) and the token from server.api_token or <data-dir>/api-token. Never prints the token.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiClient, type ApiClient } from './chat/api-client.js';
import type { Config } from '../config/schema.js';
import { resolveSecretRef } from '../config/secret-ref.js';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';

export function gatewayApiClient(config: Config, command: Command): ApiClient {
  const opts = command.optsWithGlobals<{ url?: string }>();
  const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
  const url = opts.url ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`;
  let token: string;
  if (config.server.api_token) {
    token = resolveSecretRef(config.server.api_token, 'server.api_token', { env: process.env });
  } else {
    const file = join(config.data_dir, 'api-token');
    if (!existsSync(file)) {
      throw new SecureSphereError(ERROR_CODES.UNAUTHORIZED, `No API token in ${file}: start the gateway once with \`securesphere start\`, set SECURESPHERE_API_TOKEN, or use --offline.`);
    }
    token = readFileSync(file, 'utf8').trim();
  }
  return createApiClient(url, token);
}
