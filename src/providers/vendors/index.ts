// The vendor registry: every provider type SecureSphere can build. Adding a vendor is its
// folder plus one line here. Nothing else in the code base lists vendors.
import type { Vendor } from '../vendor.js';
import { anthropicVendor } from './anthropic/index.js';
import { googleVendor } from './google/index.js';
import { mistralVendor } from './mistral/index.js';
import { autoVendor } from './auto/index.js';
import { llamaCppVendor } from './llama-cpp/index.js';
import { ollamaVendor } from './ollama/index.js';
import { openaiVendor } from './openai/index.js';

export const VENDORS: readonly Vendor[] = [autoVendor, ollamaVendor, llamaCppVendor, openaiVendor, anthropicVendor, googleVendor, mistralVendor];

export function findVendor(type: string): Vendor | undefined {
  return VENDORS.find((v) => v.type === type);
}
