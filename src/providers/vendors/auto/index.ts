// `type: auto`, the default when no provider is configured: Ollama when it answers, otherwise
// the embedded llama.cpp model when its file is present, so the README's first command ends
// with a gateway that answers without a model server. The choice is made once (at the first
// health check or request), logged, and shown in health; when neither is there it is made
// again at the next request, so a later `ollama serve` or `securesphere model pull` is used.
import { existsSync } from 'node:fs';
import type { ChatRequest, Provider, ProviderHealth, StreamHandlers } from '../../provider.js';
import type { Vendor } from '../../vendor.js';
import { createEmbeddedProvider, embeddedModelPath } from '../llama-cpp/index.js';
import { ollamaVendor } from '../ollama/index.js';

export interface AutoChoice {
  provider: Provider;
  /** What was chosen and why, for health, `doctor` and the start-up line. */
  detail: string;
  final: boolean;
}

export function createAutoProvider(parts: {
  ollama: Provider;
  ollamaHost: string;
  modelFile: string;
  embedded: () => Provider;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
}): Provider & { choose(): Promise<AutoChoice> } {
  let decided: Promise<AutoChoice> | undefined;
  let embedded: Provider | undefined;

  async function decide(): Promise<AutoChoice> {
    const ollamaHealth = await parts.ollama.health().catch((err: unknown): ProviderHealth => ({ ok: false, detail: String(err) }));
    if (ollamaHealth.ok) return { provider: parts.ollama, detail: `Ollama at ${parts.ollamaHost} (${ollamaHealth.detail})`, final: true };
    if (existsSync(parts.modelFile)) {
      embedded ??= parts.embedded();
      return { provider: embedded, detail: `the embedded model ${parts.modelFile} (Ollama did not answer at ${parts.ollamaHost})`, final: true };
    }
    return {
      provider: parts.ollama,
      detail: `no model yet: Ollama did not answer at ${parts.ollamaHost} and there is no embedded model at ${parts.modelFile}; run \`securesphere model pull\` or start Ollama`,
      final: false,
    };
  }

  function choose(): Promise<AutoChoice> {
    const current = decided ?? decide().then((choice) => {
      parts.log?.(choice.final ? 'info' : 'warn', `model provider (auto): ${choice.detail}`);
      return choice;
    });
    decided = current;
    void current.then((choice) => {
      if (!choice.final && decided === current) decided = undefined;
    });
    return current;
  }

  return {
    name: 'auto',
    choose,
    async chat(request: ChatRequest) {
      return (await choose()).provider.chat(request);
    },
    async chatStream(request: ChatRequest, handlers: StreamHandlers) {
      const { provider } = await choose();
      return provider.chatStream ? provider.chatStream(request, handlers) : provider.chat(request);
    },
    async health(): Promise<ProviderHealth> {
      const choice = await choose();
      if (!choice.final) return { ok: false, detail: choice.detail };
      const health = await choice.provider.health();
      return { ok: health.ok, detail: `auto: ${choice.detail}${health.ok ? '' : `; ${health.detail}`}` };
    },
  };
}

export const autoVendor: Vendor = {
  type: 'auto',
  needsApiKey: false,
  readsProviderHost: true,
  create: (settings, deps) => {
    const ollama = ollamaVendor.create(settings, deps);
    const modelFile = embeddedModelPath({ model: '', ...(settings.modelPath ? { modelPath: settings.modelPath } : {}) }, deps);
    return createAutoProvider({
      ollama,
      ollamaHost: settings.baseUrl ?? 'http://127.0.0.1:11434',
      modelFile,
      embedded: () => createEmbeddedProvider({ ...settings, model: '', modelPath: modelFile }, deps),
      ...(deps.log ? { log: deps.log } : {}),
    });
  },
  setupHint: (settings) => `${ollamaVendor.setupHint(settings)} Or install the embedded model: \`securesphere model pull\`.`,
};
