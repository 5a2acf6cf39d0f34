// Whether a model reply repeats flagged text: a reply that quotes an injection carries it on in
// the history after the original has left the window, so it must stay flagged too. A quote is
// found by overlapping fragments of the flagged text (case and whitespace ignored), not by
// running the detector again on the reply: the reply is the model's own words, and scoring it
// would add the detector's false positives (e.g. on echoed JSON) without finding quotes better.
// Our own untrusted-content frame sentences are removed first: repeating them is no quote.
import { withoutFrames } from './untrusted-content.js';

/** Fragments shorter than this could match by accident. */
const FRAGMENT = 40;
const STEP = 20;

function normalize(text: string): string {
  return withoutFrames(text).toLowerCase().replace(/\s+/g, ' ').trim();
}

/** True when `reply` contains a fragment (or the whole, when short) of any of `flagged`. */
export function quotesFlaggedText(reply: string, flagged: readonly string[]): boolean {
  const haystack = normalize(reply);
  if (haystack === '') return false;
  for (const source of flagged) {
    const text = normalize(source);
    if (text === '') continue;
    if (text.length <= FRAGMENT) {
      if (haystack.includes(text)) return true;
      continue;
    }
    for (let at = 0; at + FRAGMENT <= text.length; at += STEP) {
      if (haystack.includes(text.slice(at, at + FRAGMENT))) return true;
    }
    if (haystack.includes(text.slice(-FRAGMENT))) return true;
  }
  return false;
}
