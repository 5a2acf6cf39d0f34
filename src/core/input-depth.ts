// A fixed limit on how deeply arguments (API requests, model tool calls) may nest. Everything
// downstream (validation, redaction, canonical JSON, hashing, storage, the provider's history)
// walks values recursively; refusing deep input at the door means none of them can run out of
// stack, whatever an attacker or a model sends. The check itself is iterative, so it never
// overflows either. It must never change a value, only measure it.

/** Deepest nesting accepted in arguments: an object or array inside … 64 levels. */
export const MAX_INPUT_DEPTH = 64;

/**
 * Stands in for tool-call arguments the provider dropped because they nested deeper than
 * MAX_INPUT_DEPTH (a short string, so history stays small and valid JSON).
 */
export const TOO_DEEP_ARGUMENTS = `⟨arguments nested deeper than ${MAX_INPUT_DEPTH} levels were dropped⟩`;

/** True when `value` has objects/arrays nested more than `limit` levels deep (iterative walk). */
export function exceedsDepth(value: unknown, limit: number = MAX_INPUT_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: Array<[unknown, number]> = [[value, 1]];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    if (seen.has(current)) continue;
    seen.add(current);
    const children = Array.isArray(current) ? current : Object.values(current as Record<string, unknown>);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** True for arguments that must be refused as too deep (measured here or dropped by the provider). */
export function argumentsTooDeep(value: unknown): boolean {
  return value === TOO_DEEP_ARGUMENTS || exceedsDepth(value);
}
