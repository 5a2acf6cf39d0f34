// The vendor registry: every provider type SecureSphere can build. Adding a vendor is its
// folder plus one line here. Nothing else in the code base lists vendors.
import type { Vendor } from '../vendor.js';
import { ollamaVendor } from './ollama/index.js';

export const VENDORS: readonly Vendor[] = [ollamaVendor];

export function findVendor(type: string): Vendor | undefined {
  return VENDORS.find((v) => v.type === type);
}
