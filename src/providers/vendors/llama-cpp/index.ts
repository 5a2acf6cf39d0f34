// Registers the embedded llama.cpp model as a vendor: `type: llama-cpp` runs a GGUF file
// in-process (no model server to install). `model` names a model installed by `securesphere
// model pull` (its file is <data_dir>/models/<model>.gguf) unless `model_path` points elsewhere.
import { join } from 'node:path';
import type { ProfileSettings, Vendor, VendorDeps } from '../../vendor.js';
import { createLlamaCppProvider, type LlamaCppProvider } from './llama-cpp.js';
import { DEFAULT_MODEL_NAME, modelPath } from '../../../models/model-store.js';

export const DEFAULT_CONTEXT_SIZE = 4096;
export const DEFAULT_EMBEDDED_MAX_OUTPUT_TOKENS = 512;

/** The GGUF file a profile runs. */
export function embeddedModelPath(settings: Pick<ProfileSettings, 'model' | 'modelPath'>, deps: Pick<VendorDeps, 'dataDir'>): string {
  if (settings.modelPath) return settings.modelPath;
  const name = settings.model && settings.model !== 'llama3.1' ? settings.model : DEFAULT_MODEL_NAME;
  return deps.dataDir ? modelPath(deps.dataDir, name) : join('data', 'models', `${name}.gguf`);
}

export function createEmbeddedProvider(settings: ProfileSettings, deps: VendorDeps): LlamaCppProvider {
  return createLlamaCppProvider({
    modelPath: embeddedModelPath(settings, deps),
    contextSize: settings.contextSize ?? DEFAULT_CONTEXT_SIZE,
    ...(settings.threads !== undefined ? { threads: settings.threads } : {}),
    maxOutputTokens: settings.maxOutputTokens ?? DEFAULT_EMBEDDED_MAX_OUTPUT_TOKENS,
    temperature: 0,
    ...(deps.log ? { log: deps.log } : {}),
  });
}

export const llamaCppVendor: Vendor = {
  type: 'llama-cpp',
  needsApiKey: false,
  create: (settings, deps) => createEmbeddedProvider(settings, deps),
  setupHint: (settings) =>
    `Install the model file with \`securesphere model pull\` (or set model_path to a GGUF file)${settings.modelPath ? `; configured: ${settings.modelPath}` : ''}.`,
};
