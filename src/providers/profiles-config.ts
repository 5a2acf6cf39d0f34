// Reads the provider part of the config as one plan: named profiles, the default, the failover
// order and the routes. The `provider:` section is shorthand for a single profile "primary";
// `providers:` (profiles, failover, routes) wins when present. Pure: no environment, no I/O.
import type { Config, ProviderProfileConfig, ProviderRouteConfig } from '../config/schema.js';

export interface ProfilePlan extends ProviderProfileConfig {
  name: string;
  /** The shorthand's `provider.host` (OLLAMA_HOST): used only by a vendor that reads it. */
  host?: string;
}

export interface ProvidersPlan {
  profiles: ProfilePlan[];
  defaultProfile: string;
  /** Profiles tried after the chosen one, in order. */
  failover: string[];
  routes: ProviderRouteConfig[];
}

export const SHORTHAND_PROFILE = 'primary';

export function planProviders(config: Pick<Config, 'provider' | 'providers'>): ProvidersPlan {
  const section = config.providers;
  if (!section) {
    const p = config.provider;
    return {
      profiles: [
        {
          name: SHORTHAND_PROFILE,
          // A host named explicitly (provider.host, OLLAMA_HOST) means Ollama, not the automatic choice.
          type: p.type === 'auto' && p.host !== undefined ? 'ollama' : p.type,
          model: p.model,
          timeout_ms: p.timeout_ms,
          ...(p.base_url !== undefined ? { base_url: p.base_url } : {}),
          ...(p.host !== undefined ? { host: p.host } : {}),
          ...(p.api_key !== undefined ? { api_key: p.api_key } : {}),
          ...(p.max_output_tokens !== undefined ? { max_output_tokens: p.max_output_tokens } : {}),
          ...(p.model_path !== undefined ? { model_path: p.model_path } : {}),
          ...(p.context_size !== undefined ? { context_size: p.context_size } : {}),
          ...(p.threads !== undefined ? { threads: p.threads } : {}),
        },
      ],
      defaultProfile: SHORTHAND_PROFILE,
      failover: [SHORTHAND_PROFILE],
      routes: [],
    };
  }
  const profiles = Object.entries(section.profiles).map(([name, profile]) => ({ ...profile, name }));
  const defaultProfile = section.default ?? section.failover?.[0] ?? profiles[0]!.name;
  return { profiles, defaultProfile, failover: section.failover ?? [defaultProfile], routes: [...section.routes] };
}

/** The profile a conversation starts with: the first matching route, else the default. */
export function profileFor(plan: Pick<ProvidersPlan, 'routes' | 'defaultProfile'>, where: { channel?: string; conversationId?: string }): string {
  for (const route of plan.routes) {
    if (route.channel !== undefined && route.channel !== where.channel) continue;
    if (route.conversation !== undefined && route.conversation !== where.conversationId) continue;
    return route.profile;
  }
  return plan.defaultProfile;
}
