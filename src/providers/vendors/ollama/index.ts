// Registers Ollama as a vendor: the provider over the `ollama` client, and the hints only
// Ollama has (`ollama serve`, `ollama pull`). Holds no state.
import type { Vendor } from '../../vendor.js';
import { DEFAULT_OLLAMA_HOST, createOllamaProvider } from './provider.js';
import { displayHost, displayModel } from './errors.js';

export const ollamaVendor: Vendor = {
  type: 'ollama',
  needsApiKey: false,
  readsProviderHost: true,
  create: (settings, deps) =>
    createOllamaProvider({
      host: settings.baseUrl ?? DEFAULT_OLLAMA_HOST,
      model: settings.model,
      timeoutMs: settings.timeoutMs,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    }),
  setupHint: (settings) =>
    `Start Ollama (\`ollama serve\`) at ${displayHost(settings.baseUrl ?? DEFAULT_OLLAMA_HOST)} and \`ollama pull ${displayModel(settings.model)}\`, or set the profile's base_url (provider.host / OLLAMA_HOST).`,
};
