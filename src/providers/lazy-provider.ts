// A Provider whose vendor SDK is imported on first use. Vendor SDKs are large (importing
// @mistralai/mistralai alone costs ~120 MB and seconds): a gateway only loads the SDKs of the
// profiles it actually calls. The loaded provider is cached; a failed import is retried.
import type { ChatRequest, Provider, StreamHandlers } from './provider.js';

export function lazyProvider(name: string, load: () => Promise<Provider>): Provider {
  let loaded: Promise<Provider> | undefined;
  const get = (): Promise<Provider> => {
    loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    return loaded;
  };
  return {
    name,
    chat: async (request: ChatRequest) => (await get()).chat(request),
    async chatStream(request: ChatRequest, handlers: StreamHandlers) {
      const provider = await get();
      if (provider.chatStream) return provider.chatStream(request, handlers);
      const res = await provider.chat(request);
      if (res.text !== '') handlers.onText(res.text);
      return res;
    },
    health: async () => (await get()).health(),
  };
}
