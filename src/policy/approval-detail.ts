// Turns the arguments of an approval request into the text a person reads before deciding.
// The text must show the WHOLE effect: nothing may be cut off at the end, hidden behind a long
// run of blanks, or disguised by control or invisible characters. So: runs of whitespace
// become a visible marker (`⟨3,100 spaces⟩`), a long value keeps its beginning AND its end with
// the hidden length stated, and the result goes through visibleText. It must never be used for
// what runs: the approval binds to the exact canonical arguments, not to this text.
import { visibleText } from '../core/visible-text.js';

/** Whitespace runs at least this long are shown as a marker. */
export const WHITESPACE_RUN_MIN = 8;
/** A string value longer than this (after collapsing) shows its beginning and end only. */
export const VALUE_LIMIT = 1200;
const VALUE_HEAD = 700;
const VALUE_TAIL = 400;
/** The whole detail is kept under about this many characters, again beginning and end. */
export const DETAIL_LIMIT = 4000;
const DETAIL_HEAD = 2200;
const DETAIL_TAIL = 1600;

const count = (n: number): string => n.toLocaleString('en-US');

const WHITESPACE_RUN = new RegExp(`[\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{${WHITESPACE_RUN_MIN},}`, 'g');
// The same invisible or control character many times (e.g. 3,000 zero-width spaces).
const INVISIBLE_RUN = new RegExp(`([\\u0000-\\u001f\\u007f-\\u009f\\p{Cf}])\\1{${WHITESPACE_RUN_MIN - 1},}`, 'gu');

function describeWhitespace(run: string): string {
  if (/^ +$/.test(run)) return `⟨${count(run.length)} spaces⟩`;
  if (/^\n+$/.test(run)) return `⟨${count(run.length)} line breaks⟩`;
  if (/^\t+$/.test(run)) return `⟨${count(run.length)} tabs⟩`;
  return `⟨${count(run.length)} whitespace characters⟩`;
}

/** Replaces long runs of whitespace (and of one repeated invisible character) with a visible marker. */
export function collapseRuns(text: string): string {
  return text
    .replace(WHITESPACE_RUN, describeWhitespace)
    .replace(INVISIBLE_RUN, (run, ch: string) => `⟨${count(run.length)} × U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

/** Keeps the first `head` and last `tail` characters and states how many are not shown. */
export function keepEnds(text: string, limit: number, head: number, tail: number): { text: string; hidden: number } {
  if (text.length <= limit) return { text, hidden: 0 };
  // Never split a surrogate pair: a half pair would show as a replacement character.
  let start = head;
  if (/[\ud800-\udbff]/.test(text.charAt(start - 1))) start -= 1;
  let end = text.length - tail;
  if (/[\udc00-\udfff]/.test(text.charAt(end))) end += 1;
  const hidden = end - start;
  return { text: `${text.slice(0, start)} ⟨… ${count(hidden)} characters not shown …⟩ ${text.slice(end)}`, hidden };
}

export interface ArgumentsDetail {
  /** What the prompt shows: runs collapsed, long values shortened at both ends, visible. */
  text: string;
  /** True when something is not shown in `text` (a long value or a long detail). */
  shortened: boolean;
  /** Every argument in full (pretty JSON, control and invisible characters made visible). */
  full: string;
}

/** Describes parsed arguments for an approval prompt. */
export function describeArgumentsDetail(args: unknown): ArgumentsDetail {
  let shortened = false;
  const shown = mapStrings(args, (value) => {
    const collapsed = keepEnds(collapseRuns(value), VALUE_LIMIT, VALUE_HEAD, VALUE_TAIL);
    if (collapsed.hidden > 0) shortened = true;
    return collapsed.text;
  });
  // JSON.stringify escapes C0 controls, quotes and backslashes; visibleText the rest (C1, bidi,
  // zero-width). Markers stay readable because they are printable.
  const pretty = visibleText(JSON.stringify(shown, null, 2) ?? 'null', { multiline: true });
  const whole = keepEnds(pretty, DETAIL_LIMIT, DETAIL_HEAD, DETAIL_TAIL);
  if (whole.hidden > 0) shortened = true;
  const full = visibleText(JSON.stringify(args, null, 2) ?? 'null', { multiline: true });
  return { text: whole.text, shortened, full };
}

// Depth is bounded by the caller (arguments deeper than the input limit are refused before an
// approval is opened), so plain recursion is safe here.
function mapStrings(value: unknown, fn: (text: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      Object.defineProperty(out, fn(key), { value: mapStrings(v, fn), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}
