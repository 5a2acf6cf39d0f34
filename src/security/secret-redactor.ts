// Replaces every known secret value with [REDACTED] wherever it appears inside a string.
// The audit chain runs every event through it and the logger should too: it is the second
// line of defence behind "never put a secret in details". Values shorter than 4 characters
// are ignored (redacting "a" everywhere would destroy the text and protect nothing).
//
// A secret of 8 characters or more is searched in all its common spellings (secret-forms.ts:
// reversed, rot13, URL, JSON, hex, base64/base64url/base32 at any alignment), with ASCII letters
// compared without regard to case, so upper- and lower-case copies and upper/lower hex are
// caught too. A shorter one only exactly (itself, base64, URL, JSON): its other spellings would
// match ordinary text too often.
//
// Matching is indexed by each form's first 4 characters (lower-cased for case-blind forms), so
// cost grows with the text length, not with the number of secrets: one array read per text
// position, a map lookup when the first character could start a form, then a compare for the
// (usually zero) forms sharing that prefix. Longest match wins.
import { secretForms } from './secret-forms.js';

export const REDACTED = '[REDACTED]';
export const MIN_SECRET_LENGTH = 4;
const PREFIX = MIN_SECRET_LENGTH;
const MAX_REDACT_DEPTH = 1000;

export interface SecretRedactor {
  /** Register a secret value (plus its encoded forms, see secret-forms.ts). Short values are ignored. */
  add(value: string): void;
  redact(text: string): string;
  /** Whether any string (or object key) inside a JSON-like value holds a known secret. */
  containsSecret(value: unknown): boolean;
  /** Copy of a JSON-like value with every string (and object key) redacted. */
  redactDeep<T>(value: T): T;
  /** Number of distinct registered forms. */
  readonly size: number;
  /** Length of the longest registered form (how much of a streamed text's tail could still be a secret). */
  readonly longest: number;
}

/** Secrets at least this long are also matched in any case and in their derived spellings. */
export const ALL_FORMS_MIN_LENGTH = 8;

interface Form {
  /** Lower-cased (ASCII) when anyCase. */
  text: string;
  anyCase: boolean;
}

export function createSecretRedactor(initial: Iterable<string> = []): SecretRedactor {
  // prefix (lower-cased for case-blind forms) -> forms with that prefix, longest first
  const byPrefix = new Map<string, Form[]>();
  // every registered form (a form can be shared by two secrets; it is indexed once)
  const registered = new Set<string>();
  // How many registered forms start with each UTF-16 code unit: most text positions are
  // rejected by this one array read, without allocating a prefix string.
  const firstUnit = new Uint32Array(65536);
  const unsorted = new Set<Form[]>();

  let longest = 0;
  const insert = (spelled: string, anyCase: boolean): void => {
    const text = anyCase ? asciiLower(spelled) : spelled;
    const id = `${anyCase ? 'i' : 's'}:${text}`;
    if (registered.has(id)) return;
    registered.add(id);
    longest = Math.max(longest, text.length);
    const first = text.charCodeAt(0);
    firstUnit[first]! += 1;
    const upper = asciiUpperUnit(first);
    if (anyCase && upper !== first) firstUnit[upper]! += 1;
    const key = text.slice(0, PREFIX);
    const list = byPrefix.get(key) ?? [];
    list.push({ text, anyCase });
    byPrefix.set(key, list);
    unsorted.add(list);
  };

  // Lists are sorted (longest first) once before the next search, not on every insert: adding
  // thousands of secrets that share a prefix stays linear.
  const sortPending = (): void => {
    for (const list of unsorted) list.sort((a, b) => b.text.length - a.text.length);
    unsorted.clear();
  };

  const longestIn = (list: Form[] | undefined, text: string, i: number): number => {
    const hit = list?.find((f) => (f.anyCase ? startsWithIgnoringAsciiCase(text, f.text, i) : text.startsWith(f.text, i)));
    return hit === undefined ? 0 : hit.text.length;
  };

  /** Length of the longest registered form starting at text[i], or 0. */
  const matchAt = (text: string, i: number): number => {
    if (firstUnit[text.charCodeAt(i)] === 0) return 0;
    const raw = text.slice(i, i + PREFIX);
    const lower = asciiLower(raw);
    const exact = longestIn(byPrefix.get(raw), text, i);
    return lower === raw ? exact : Math.max(exact, longestIn(byPrefix.get(lower), text, i));
  };

  const redact = (text: string): string => {
    if (byPrefix.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
    if (unsorted.size > 0) sortPending();
    let out = '';
    let copiedUpTo = 0;
    let i = 0;
    const last = text.length - MIN_SECRET_LENGTH;
    while (i <= last) {
      const length = matchAt(text, i);
      if (length === 0) {
        i += 1;
        continue;
      }
      out += text.slice(copiedUpTo, i) + REDACTED;
      i += length;
      copiedUpTo = i;
    }
    return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
  };

  const containsSecret = (value: unknown): boolean => {
    // Iterative, so arbitrarily deep input cannot overflow the stack.
    const stack: unknown[] = [value];
    const seen = new Set<object>();
    while (stack.length > 0) {
      const v = stack.pop();
      if (typeof v === 'string') {
        if (redact(v) !== v) return true;
      } else if (v !== null && typeof v === 'object' && !seen.has(v)) {
        seen.add(v);
        if (Array.isArray(v)) for (const item of v as unknown[]) stack.push(item);
        else for (const [k, item] of Object.entries(v)) stack.push(k, item);
      }
    }
    return false;
  };

  const redactDeep = <T>(value: T): T => walk(value, new WeakSet(), 0) as T;

  const walk = (value: unknown, seen: WeakSet<object>, depth: number): unknown => {
    if (typeof value === 'string') return redact(value);
    if (value === null || typeof value !== 'object') return value;
    if (value instanceof Date) return value;
    if (seen.has(value)) return '[Circular]';
    // Inputs are refused far earlier (src/core/input-depth.ts); this only keeps the walk off the stack limit.
    if (depth > MAX_REDACT_DEPTH) return '[nested too deep]';
    seen.add(value);
    let result: unknown;
    if (Array.isArray(value)) {
      result = value.map((v) => walk(v, seen, depth + 1));
    } else if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) {
      // Bytes may hold a secret too; they are not text we can search, so say what they were.
      result = `[${value.byteLength} bytes]`;
    } else {
      const obj: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        // defineProperty so a hostile "__proto__" key stays a plain own property.
        Object.defineProperty(obj, redact(k), { value: walk(v, seen, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      result = obj;
    }
    seen.delete(value);
    return result;
  };

  const redactor: SecretRedactor = {
    add(value) {
      if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
      if (value.length >= ALL_FORMS_MIN_LENGTH) {
        for (const f of secretForms(value, MIN_SECRET_LENGTH)) insert(f, true);
        return;
      }
      for (const f of [value, Buffer.from(value, 'utf8').toString('base64').replace(/=+$/, ''), encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]) {
        if (f.length >= MIN_SECRET_LENGTH) insert(f, false);
      }
    },
    redact,
    containsSecret,
    redactDeep,
    get size() {
      return registered.size;
    },
    get longest() {
      return longest;
    },
  };
  for (const v of initial) redactor.add(v);
  return redactor;
}

/** Lower-cases A-Z only, so the length never changes (toLowerCase can change it outside ASCII). */
function asciiLower(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

function asciiUpperUnit(code: number): number {
  return code >= 97 && code <= 122 ? code - 32 : code;
}

/** text.startsWith(lowerForm, at), with A-Z in text compared as a-z. */
function startsWithIgnoringAsciiCase(text: string, lowerForm: string, at: number): boolean {
  if (at + lowerForm.length > text.length) return false;
  for (let j = 0; j < lowerForm.length; j++) {
    let c = text.charCodeAt(at + j);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lowerForm.charCodeAt(j)) return false;
  }
  return true;
}
