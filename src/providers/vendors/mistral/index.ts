// Registers Mistral as a vendor. The provider (and with it the vendor SDK) is imported on first
// use of a mistral profile, so a gateway that has none never loads the SDK. Holds no state.
import { displayHost, displayModel } from '../../provider-errors.js';
import { lazyProvider } from '../../lazy-provider.js';
import type { Vendor } from '../../vendor.js';
import { DEFAULT_MISTRAL_BASE_URL } from './defaults.js';

export const mistralVendor: Vendor = {
  type: 'mistral',
  needsApiKey: true,
  create: (settings, deps) => lazyProvider('mistral', async () => (await import('./provider.js')).createMistralProvider(settings, deps)),
  setupHint: (s) => `Check that ${displayHost(s.baseUrl ?? DEFAULT_MISTRAL_BASE_URL)} is reachable, the api_key is valid and the model "${displayModel(s.model)}" exists for it.`,
};
