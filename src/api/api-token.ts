// The API bearer token: from config (a `${env:}` or `vault:` reference), or generated once into
// <data_dir>/api-token with mode 0600 and shown to the operator a single time.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { resolveSecretRef, type SecretSources } from '../config/secret-ref.js';

export function resolveApiToken(config: Readonly<Config>, sources: SecretSources): { token: string; created: boolean } {
  if (config.server.api_token) {
    return { token: resolveSecretRef(config.server.api_token, 'server.api_token', sources), created: false };
  }
  const file = join(config.data_dir, 'api-token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), created: false };
  mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, created: true };
}
