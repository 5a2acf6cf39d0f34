// Builds the provider manager from the validated config: each profile through its vendor in
// the registry (vendors/index.ts), its api_key reference resolved here and registered with the
// redactor. This file never reads the environment itself and names no vendor.
import type { Config } from '../config/schema.js';
import { resolveSecretRef, type SecretSources } from '../config/secret-ref.js';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import type { ProfileStateSink } from './profile-state.js';
import { planProviders, type ProfilePlan, type ProvidersPlan } from './profiles-config.js';
import { createProviderManager, type ManagerLogger, type ProviderManager } from './provider-manager.js';
import type { Vendor, VendorDeps } from './vendor.js';
import { VENDORS } from './vendors/index.js';

export interface ProviderDeps extends VendorDeps {
  logger?: ManagerLogger;
  /** Where `${env:..}` and `vault:..` api_key references are read. Default: no sources. */
  secrets?: SecretSources;
  /** Told every resolved key, so no log line or message can carry it. */
  onSecret?: (value: string) => void;
  /** The vendor registry; default VENDORS. */
  vendors?: readonly Vendor[];
  now?: () => number;
  /** Keeps profile states across restarts and visible to `doctor`. */
  persist?: ProfileStateSink;
  /** Applied to error texts kept in profile states (known secrets removed). */
  redact?: (text: string) => string;
}

export interface ConfiguredProviders {
  manager: ProviderManager;
  plan: ProvidersPlan;
}

export function createProvidersFromConfig(config: Pick<Config, 'provider' | 'providers'>, deps: ProviderDeps = {}): ConfiguredProviders {
  const plan = planProviders(config);
  const vendors = deps.vendors ?? VENDORS;
  const where = config.providers ? (name: string) => `providers.profiles.${name}` : () => 'provider';
  const profiles = plan.profiles.map((p) => {
    const vendor = vendors.find((v) => v.type === p.type);
    if (!vendor) {
      throw new SecureSphereError(
        ERROR_CODES.CONFIG_INVALID,
        `${where(p.name)}.type: unknown provider type "${p.type}"; known: ${vendors.map((v) => v.type).join(', ')}.`,
      );
    }
    if (vendor.needsApiKey && p.api_key === undefined) {
      throw new SecureSphereError(ERROR_CODES.CONFIG_INVALID, `${where(p.name)}.api_key: a ${p.type} profile needs an API key reference (\${env:NAME} or vault:NAME).`);
    }
    const apiKey = p.api_key === undefined ? undefined : resolveSecretRef(p.api_key, `${where(p.name)}.api_key`, deps.secrets ?? { env: {} });
    if (apiKey !== undefined) deps.onSecret?.(apiKey);
    const provider = vendor.create(
      {
        name: p.name,
        model: p.model,
        timeoutMs: p.timeout_ms,
        ...baseUrlOf(p, vendor),
        ...(apiKey !== undefined ? { apiKey } : {}),
        ...(p.max_output_tokens !== undefined ? { maxOutputTokens: p.max_output_tokens } : {}),
        ...(p.model_path !== undefined ? { modelPath: p.model_path } : {}),
        ...(p.context_size !== undefined ? { contextSize: p.context_size } : {}),
        ...(p.threads !== undefined ? { threads: p.threads } : {}),
      },
      { ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.dataDir ? { dataDir: deps.dataDir } : {}), ...(deps.log ? { log: deps.log } : {}) },
    );
    return { name: p.name, provider, model: p.model, ...(p.max_output_tokens !== undefined ? { maxOutputTokens: p.max_output_tokens } : {}) };
  });
  const manager = createProviderManager({
    profiles,
    defaultProfile: plan.defaultProfile,
    failover: plan.failover,
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.persist ? { persist: deps.persist } : {}),
    ...(deps.redact ? { redact: deps.redact } : {}),
  });
  return { manager, plan };
}

/** The single-manager form (tests and callers that need no plan). */
export function createProviderManagerFromConfig(config: Pick<Config, 'provider' | 'providers'>, deps: ProviderDeps = {}): ProviderManager {
  return createProvidersFromConfig(config, deps).manager;
}

/** What `doctor` says to check for a profile that is down. */
export function setupHintFor(config: Pick<Config, 'provider' | 'providers'>, profileName: string, vendors: readonly Vendor[] = VENDORS): string | undefined {
  const p = planProviders(config).profiles.find((x) => x.name === profileName);
  const vendor = p && vendors.find((v) => v.type === p.type);
  if (!p || !vendor) return undefined;
  return vendor.setupHint({ name: p.name, model: p.model, timeoutMs: p.timeout_ms, ...baseUrlOf(p, vendor) });
}

/** base_url, else the shorthand's host for the vendor that reads it (OLLAMA_HOST is not OpenAI's address). */
function baseUrlOf(p: ProfilePlan, vendor: Vendor): { baseUrl?: string } {
  const url = p.base_url ?? (vendor.readsProviderHost ? p.host : undefined);
  return url !== undefined ? { baseUrl: url } : {};
}
