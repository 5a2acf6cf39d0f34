import { createHash } from 'node:crypto';
import { ERROR_CODES, SecureSphereError } from './errors.js';

// Far above the input limit (src/core/input-depth.ts, 64): inputs are refused long before this;
// the guard only turns a would-be stack overflow into a typed error.
const MAX_CANONICAL_DEPTH = 1000;

/**
 * Canonical JSON: object keys sorted, no whitespace. Used wherever a hash must not depend
 * on key order (approval argument binding, the audit chain).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown, depth = 0): unknown {
  if (depth > MAX_CANONICAL_DEPTH) {
    throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `A value nests deeper than ${MAX_CANONICAL_DEPTH} levels and cannot be hashed; send flatter data.`);
  }
  if (Array.isArray(value)) return value.map((v) => sortKeys(v, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v, depth + 1);
    }
    return out;
  }
  return value;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
