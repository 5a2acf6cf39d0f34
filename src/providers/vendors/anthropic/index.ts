// Registers Anthropic as a vendor. The provider (and with it the vendor SDK) is imported on first
// use of a anthropic profile, so a gateway that has none never loads the SDK. Holds no state.
import { displayHost, displayModel } from '../../provider-errors.js';
import { lazyProvider } from '../../lazy-provider.js';
import type { Vendor } from '../../vendor.js';
import { DEFAULT_ANTHROPIC_BASE_URL } from './defaults.js';

export const anthropicVendor: Vendor = {
  type: 'anthropic',
  needsApiKey: true,
  create: (settings, deps) => lazyProvider('anthropic', async () => (await import('./provider.js')).createAnthropicProvider(settings, deps)),
  setupHint: (s) => `Check that ${displayHost(s.baseUrl ?? DEFAULT_ANTHROPIC_BASE_URL)} is reachable, the api_key is valid and the model "${displayModel(s.model)}" exists for it.`,
};
