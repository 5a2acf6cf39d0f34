// Turns text into a sparse, hashed feature vector: word unigrams, bigrams and skip-bigrams, character
// 3-5-grams, plus one feature per rule hit and normalization signal. A document (its whole text
// and each of its segments) also gets its words and word pairs a second time, in a namespace of
// their own. Hashing (FNV-1a, no vocabulary) keeps the weights file a fixed size and makes
// training order-independent.
// Must stay fast: it runs on every inbound message and every tool result.
import type { NormalizedText } from './normalize.js';

export const FEATURE_BITS = 17;
export const FEATURE_DIM = 1 << FEATURE_BITS;
const MASK = FEATURE_DIM - 1;

/** Sparse vector with parallel index/value arrays; indices are unique. */
export interface SparseVector {
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function mix(h: number, code: number): number {
  return Math.imul(h ^ code, FNV_PRIME) >>> 0;
}

function hashString(seed: number, s: string): number {
  let h = seed;
  for (let i = 0; i < s.length; i += 1) h = mix(h, s.charCodeAt(i));
  return h;
}

// Distinct seeds so a word, a bigram and a character gram never share a namespace by design.
const SEED_WORD = hashString(FNV_OFFSET, 'w1');
const SEED_BIGRAM = hashString(FNV_OFFSET, 'w2');
const SEED_CHAR = hashString(FNV_OFFSET, 'c');
const SEED_SIGNAL = hashString(FNV_OFFSET, 's');
const SEED_SKIP_BIGRAM = hashString(FNV_OFFSET, 'w2s');
// The document namespace: a word and a word pair of an e-mail, a table, code or a web page (the
// whole text and each ~100-character segment) also get a weight of their own there. The same
// words mean different things in a chat message and in a document ("please answer the question"
// is ordinary in the first, a planted task in the second), and one shared weight had to settle
// both; the many benign document segments of training also pulled down the shared weights of
// words that chat attacks use.
// ('piece' is the name the model was trained with: another one moves every copy to other buckets.)
const SEED_DOCUMENT_WORD = hashString(FNV_OFFSET, 'piece');
const SEED_DOCUMENT_BIGRAM = SEED_DOCUMENT_WORD ^ 1;
/**
 * The copies' value, relative to a shared n-gram's. With copies for segments only, over fold seeds
 * 7 / 3 (dev rows' TPR; planted instructions' TPR; held-out e-mail FPR): 1.0 gave 88.6 / 88.2%,
 * 80.6 / 81.5%, 2.7%; 0.7 gave 88.3 / 88.1%, 81.0 / 81.2%, 2.7%; 0.5 gave 88.5 / 88.7%, 81.5 / 81.8%
 * but 3.1% (7 of 225), over the test's bound. With whole documents too, 0.7 gave 88.5 / 88.7%,
 * 1.0 88.6 / 88.7% but again 3.1%, 0.5 88.2 / 88.5% (README, "Tried this session").
 */
const DOCUMENT_WORD_VALUE = 0.7;

const TOKEN = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;
const MAX_CHARS = 16_384; // a longer text is scored on its start; later chunks are scanned separately

/**
 * Collects distinct feature indices without a Map: a generation stamp per slot marks which
 * indices this extraction has seen. Scanning runs synchronously and the buffers are reset by
 * bumping the generation, so reusing them across calls is safe and avoids garbage.
 */
class IndexSet {
  private readonly stamp = new Uint32Array(FEATURE_DIM);
  private generation = 0;
  private items = new Int32Array(4096);
  size = 0;

  reset(): void {
    this.generation += 1;
    if (this.generation === 0xffffffff) {
      this.stamp.fill(0);
      this.generation = 1;
    }
    this.size = 0;
  }

  add(index: number): void {
    if (this.stamp[index] === this.generation) return;
    this.stamp[index] = this.generation;
    if (this.size === this.items.length) {
      const grown = new Int32Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[this.size] = index;
    this.size += 1;
  }

  has(index: number): boolean {
    return this.stamp[index] === this.generation;
  }

  /** Adds every index of this set to `target`. */
  addTo(target: IndexSet): void {
    for (let i = 0; i < this.size; i += 1) target.add(this.items[i] as number);
  }

  sorted(): Int32Array {
    return this.items.slice(0, this.size).sort();
  }
}

const seen = new IndexSet();
const documentSeen = new IndexSet();
const union = new IndexSet();

export const DEFAULT_MIN_FEATURE_COUNT = 400;

/** `documentWords`, when given, collects the document-namespace copies of the words and word pairs. */
function addNgrams(text: string, into: IndexSet, documentWords?: IndexSet): void {
  const lower = text.slice(0, MAX_CHARS).toLowerCase().replace(/\s+/g, ' ');
  let previous = -1;
  let beforePrevious = -1;
  for (const match of lower.matchAll(TOKEN)) {
    const wordHash = hashString(SEED_WORD, match[0]);
    into.add(wordHash & MASK);
    if (previous !== -1) into.add(mix(mix(SEED_BIGRAM, previous), wordHash) & MASK);
    // A skip-bigram (a word and the one two after it) matches paraphrases with a word swapped
    // or inserted: "ignore all previous", "ignore the previous" and "ignore any previous" share one.
    if (beforePrevious !== -1) into.add(mix(mix(SEED_SKIP_BIGRAM, beforePrevious), wordHash) & MASK);
    if (documentWords !== undefined) {
      documentWords.add(mix(SEED_DOCUMENT_WORD, wordHash) & MASK);
      if (previous !== -1) documentWords.add(mix(mix(SEED_DOCUMENT_BIGRAM, previous), wordHash) & MASK);
    }
    beforePrevious = previous;
    previous = wordHash;
  }
  const padded = ` ${lower} `;
  for (let i = 0; i + 3 <= padded.length; i += 1) {
    let h = SEED_CHAR;
    for (let n = 1; n <= 5 && i + n <= padded.length; n += 1) {
      h = mix(h, padded.charCodeAt(i + n - 1));
      if (n >= 3) into.add(mix(h, n) & MASK);
    }
  }
}

/** Index of the feature for a named signal (rule hit or normalization signal). */
export function signalFeature(name: string): number {
  return hashString(SEED_SIGNAL, name) & MASK;
}

/**
 * Builds the feature vector. N-gram presence is L2-normalized so long and short texts are
 * comparable; signal features are added with value 1 on top. `inDocument` adds the
 * document-namespace copies of the words and word pairs, at 0.7 of the n-grams' value (the
 * normalization counts the shared n-grams only).
 */
export function extractFeatures(
  normalized: NormalizedText,
  signals: readonly string[],
  minCount = DEFAULT_MIN_FEATURE_COUNT,
  inDocument = false,
): SparseVector {
  seen.reset();
  documentSeen.reset();
  const copies = inDocument ? documentSeen : undefined;
  addNgrams(normalized.text, seen, copies);
  for (const decoded of normalized.decoded) addNgrams(decoded, seen, copies);
  // Short texts are normalized as if they had `minCount` features: otherwise a three-word
  // message gets the same vector length as an essay and each word weighs far more.
  const ngramValue = 1 / Math.sqrt(Math.max(seen.size, minCount, 1));
  const signalIndices = signals.map(signalFeature);
  let indices: Int32Array;
  if (!inDocument && signalIndices.length === 0) {
    indices = seen.sorted();
  } else {
    union.reset();
    seen.addTo(union);
    if (inDocument) documentSeen.addTo(union);
    for (const i of signalIndices) union.add(i);
    indices = union.sorted();
  }
  const values = new Float32Array(indices.length);
  for (let i = 0; i < indices.length; i += 1) {
    const index = indices[i] as number;
    let value = seen.has(index) ? ngramValue : 0;
    if (inDocument && documentSeen.has(index)) value += ngramValue * DOCUMENT_WORD_VALUE;
    for (const s of signalIndices) if (s === index) value += 1;
    values[i] = value;
  }
  return { indices, values };
}
