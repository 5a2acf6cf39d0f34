// Builds the provider manager from the validated config. The host was already resolved by the
// config layer (provider.host, else OLLAMA_HOST); this file never reads the environment.
import type { Config } from '../config/schema.js';
import { createOllamaProvider, DEFAULT_OLLAMA_HOST } from './ollama.js';
import { createProviderManager, type ManagerLogger, type ProviderManager } from './provider-manager.js';

export interface ProviderDeps {
  fetch?: typeof fetch;
  logger?: ManagerLogger;
}

export function createProviderManagerFromConfig(provider: Config['provider'], deps: ProviderDeps = {}): ProviderManager {
  const ollama = createOllamaProvider({
    host: provider.host ?? DEFAULT_OLLAMA_HOST,
    model: provider.model,
    timeoutMs: provider.timeout_ms,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  return createProviderManager({
    profiles: [{ name: 'primary', provider: ollama, model: provider.model }],
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
}
