import { randomBytes } from 'node:crypto';

/** A random, URL-safe, sortable-enough id with a readable prefix, e.g. "act_1a2b…". */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;
}
