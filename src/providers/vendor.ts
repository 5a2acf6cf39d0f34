// What one vendor contributes to SecureSphere: its config type name, how to build a Provider
// for a profile, and what to tell an operator when it is down. A vendor is one folder under
// src/providers/vendors/ plus one line in vendors/index.ts; nothing outside knows its shapes.
import type { Provider } from './provider.js';

/** One profile with its secret already resolved (the key never leaves the provider). */
export interface ProfileSettings {
  name: string;
  model: string;
  /** The SDK's own base URL option; undefined means the vendor's default. */
  baseUrl?: string;
  apiKey?: string;
  timeoutMs: number;
  maxOutputTokens?: number;
  /** Embedded models (llama-cpp): the GGUF file, the context window and CPU threads. */
  modelPath?: string;
  contextSize?: number;
  threads?: number;
}

export interface VendorDeps {
  /** Injected fetch (tests, proxies); vendors default to their SDK's own. */
  fetch?: typeof fetch;
  /** The gateway's data directory (embedded models live under <data_dir>/models). */
  dataDir?: string;
  /** Where a vendor says what it chose or loaded (the embedded model, the automatic choice). */
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
}

export interface Vendor {
  /** The `type:` value in config, e.g. "openai". */
  readonly type: string;
  /** Whether a profile of this type needs api_key. */
  readonly needsApiKey: boolean;
  /** Whether `provider.host` (env OLLAMA_HOST) is this vendor's base URL when base_url is unset. */
  readonly readsProviderHost?: boolean;
  create(settings: ProfileSettings, deps: VendorDeps): Provider;
  /** One sentence for `doctor`: what to check when a profile of this type is down. */
  setupHint(settings: Omit<ProfileSettings, 'apiKey'>): string;
}
