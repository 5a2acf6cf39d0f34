// Turns text into a sparse, hashed feature vector: word unigrams and bigrams, character
// 3-5-grams, plus one feature per rule hit and normalization signal. Hashing (FNV-1a, no
// vocabulary) keeps the weights file a fixed size and makes training order-independent.
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

const TOKEN = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;
const MAX_CHARS = 16_384; // a longer text is scored on its start; later chunks are scanned separately

function addNgrams(text: string, counts: Map<number, number>): void {
  const lower = text.slice(0, MAX_CHARS).toLowerCase().replace(/\s+/g, ' ');
  let previous = -1;
  for (const match of lower.matchAll(TOKEN)) {
    const token = match[0];
    const wordHash = hashString(SEED_WORD, token);
    counts.set(wordHash & MASK, (counts.get(wordHash & MASK) ?? 0) + 1);
    if (previous !== -1) {
      const bigram = mix(mix(SEED_BIGRAM, previous), wordHash) & MASK;
      counts.set(bigram, (counts.get(bigram) ?? 0) + 1);
    }
    previous = wordHash;
  }
  const padded = ` ${lower} `;
  for (let i = 0; i + 3 <= padded.length; i += 1) {
    let h = SEED_CHAR;
    for (let n = 1; n <= 5 && i + n <= padded.length; n += 1) {
      h = mix(h, padded.charCodeAt(i + n - 1));
      if (n >= 3) {
        const index = mix(h, n) & MASK;
        counts.set(index, (counts.get(index) ?? 0) + 1);
      }
    }
  }
}

/** Index of the feature for a named signal (rule hit or normalization signal). */
export function signalFeature(name: string): number {
  return hashString(SEED_SIGNAL, name) & MASK;
}

/**
 * Builds the feature vector. N-gram presence is L2-normalized so long and short texts are
 * comparable; signal features are added with value 1 on top.
 */
export function extractFeatures(normalized: NormalizedText, signals: readonly string[]): SparseVector {
  const counts = new Map<number, number>();
  addNgrams(normalized.text, counts);
  for (const decoded of normalized.decoded) addNgrams(decoded, counts);
  const norm = Math.sqrt(counts.size) || 1;
  const features = new Map<number, number>();
  for (const index of counts.keys()) features.set(index, 1 / norm);
  for (const signal of signals) {
    const index = signalFeature(signal);
    features.set(index, (features.get(index) ?? 0) + 1);
  }
  const indices = Int32Array.from([...features.keys()].sort((a, b) => a - b));
  const values = new Float32Array(indices.length);
  indices.forEach((index, i) => {
    values[i] = features.get(index) ?? 0;
  });
  return { indices, values };
}
