// Replaces every known secret value with [REDACTED] wherever it appears inside a string.
// The audit chain runs every event through it and the logger should too: it is the second
// line of defence behind "never put a secret in details". Values shorter than 4 characters
// are ignored (redacting "a" everywhere would destroy the text and protect nothing).
//
// Matching is indexed by each secret's first 4 characters, so cost grows with the text
// length, not with the number of secrets: one map lookup per text position, then a
// startsWith check for the (usually zero) secrets sharing that prefix. Longest match wins.

export const REDACTED = '[REDACTED]';
export const MIN_SECRET_LENGTH = 4;
const PREFIX = MIN_SECRET_LENGTH;

export interface SecretRedactor {
  /** Register a secret value (plus its base64, URL-encoded and JSON-escaped forms). Short values are ignored. */
  add(value: string): void;
  redact(text: string): string;
  /** Copy of a JSON-like value with every string (and object key) redacted. */
  redactDeep<T>(value: T): T;
  /** Number of distinct registered forms. */
  readonly size: number;
  /** Length of the longest registered form (how much of a streamed text's tail could still be a secret). */
  readonly longest: number;
}

export function createSecretRedactor(initial: Iterable<string> = []): SecretRedactor {
  // prefix -> values with that prefix, longest first
  const byPrefix = new Map<string, string[]>();
  // every registered form (a form can be shared by two secrets; it is indexed once)
  const registered = new Set<string>();
  // How many registered forms start with each UTF-16 code unit: most text positions are
  // rejected by this one array read, without allocating a prefix string.
  const firstUnit = new Uint32Array(65536);

  const forms = (value: string): string[] => {
    const out = new Set<string>([value]);
    out.add(Buffer.from(value, 'utf8').toString('base64').replace(/=+$/, ''));
    out.add(encodeURIComponent(value));
    // As it appears inside a JSON string (log lines are JSON): quotes, backslashes, controls escaped.
    out.add(JSON.stringify(value).slice(1, -1));
    return [...out].filter((f) => f.length >= MIN_SECRET_LENGTH);
  };

  let longest = 0;
  const insert = (form: string): void => {
    if (registered.has(form)) return;
    registered.add(form);
    longest = Math.max(longest, form.length);
    firstUnit[form.charCodeAt(0)]! += 1;
    const key = form.slice(0, PREFIX);
    const list = byPrefix.get(key) ?? [];
    list.push(form);
    list.sort((a, b) => b.length - a.length);
    byPrefix.set(key, list);
  };

  const redact = (text: string): string => {
    if (byPrefix.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
    let out = '';
    let copiedUpTo = 0;
    let i = 0;
    const last = text.length - MIN_SECRET_LENGTH;
    while (i <= last) {
      if (firstUnit[text.charCodeAt(i)] === 0) {
        i += 1;
        continue;
      }
      const candidates = byPrefix.get(text.slice(i, i + PREFIX));
      const hit = candidates?.find((c) => text.startsWith(c, i));
      if (hit === undefined) {
        i += 1;
        continue;
      }
      out += text.slice(copiedUpTo, i) + REDACTED;
      i += hit.length;
      copiedUpTo = i;
    }
    return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
  };

  const redactDeep = <T>(value: T): T => walk(value, new WeakSet()) as T;

  const walk = (value: unknown, seen: WeakSet<object>): unknown => {
    if (typeof value === 'string') return redact(value);
    if (value === null || typeof value !== 'object') return value;
    if (value instanceof Date) return value;
    if (seen.has(value)) return '[Circular]';
    seen.add(value);
    let result: unknown;
    if (Array.isArray(value)) {
      result = value.map((v) => walk(v, seen));
    } else if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) {
      // Bytes may hold a secret too; they are not text we can search, so say what they were.
      result = `[${value.byteLength} bytes]`;
    } else {
      const obj: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        // defineProperty so a hostile "__proto__" key stays a plain own property.
        Object.defineProperty(obj, redact(k), { value: walk(v, seen), enumerable: true, writable: true, configurable: true });
      }
      result = obj;
    }
    seen.delete(value);
    return result;
  };

  const redactor: SecretRedactor = {
    add(value) {
      if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
      for (const f of forms(value)) insert(f);
    },
    redact,
    redactDeep,
    get longest() {
      return longest;
    },
    get size() {
      return registered.size;
    },
  };
  for (const v of initial) redactor.add(v);
  return redactor;
}
