// Embeddings of many texts for training and the bench, kept in a cache file keyed by the text's
// SHA-256 and the encoder file's: embedding ten thousand rows takes minutes on two cores, and a
// retrain on the same rows should not pay it again. The cache only saves time; a missing or
// damaged one is rebuilt.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LabelledRow } from '../dataset.js';
import { EMBEDDING_DIM, type SentenceEncoder } from './encoder.js';
import { embeddingCachePath } from './location.js';
import type { SemanticTrainingInput } from './training.js';

const KEY_BYTES = 32;
const RECORD_BYTES = KEY_BYTES + EMBEDDING_DIM * 4;

function keyOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function readCache(path: string): Map<string, Float32Array> {
  const cache = new Map<string, Float32Array>();
  if (!existsSync(path)) return cache;
  const bytes = readFileSync(path);
  for (let at = 0; at + RECORD_BYTES <= bytes.length; at += RECORD_BYTES) {
    const v = new Float32Array(EMBEDDING_DIM);
    for (let d = 0; d < EMBEDDING_DIM; d += 1) v[d] = bytes.readFloatLE(at + KEY_BYTES + d * 4);
    cache.set(bytes.subarray(at, at + KEY_BYTES).toString('hex'), v);
  }
  return cache;
}

export async function embedTexts(
  texts: readonly string[],
  encoder: SentenceEncoder,
  options: { cachePath?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<Float32Array[]> {
  const cache = options.cachePath ? readCache(options.cachePath) : new Map<string, Float32Array>();
  const keys = texts.map(keyOf);
  const missing = [...new Set(keys.filter((k) => !cache.has(k)))];
  const textOf = new Map(keys.map((k, i) => [k, texts[i]!]));
  if (options.cachePath) mkdirSync(dirname(options.cachePath), { recursive: true });
  for (let i = 0; i < missing.length; i += 64) {
    const batch = missing.slice(i, i + 64);
    const vectors = await encoder.embed(batch.map((k) => textOf.get(k)!));
    const out = Buffer.alloc(batch.length * RECORD_BYTES);
    batch.forEach((k, j) => {
      cache.set(k, vectors[j]!);
      Buffer.from(k, 'hex').copy(out, j * RECORD_BYTES);
      vectors[j]!.forEach((x, d) => out.writeFloatLE(x, j * RECORD_BYTES + KEY_BYTES + d * 4));
    });
    if (options.cachePath) appendFileSync(options.cachePath, out);
    options.onProgress?.(Math.min(i + 64, missing.length), missing.length);
  }
  return keys.map((k) => cache.get(k)!);
}

/**
 * The second stage's training input (training, the bench, the model test): the training rows'
 * embeddings and the head-only rows with theirs, in one pass over the cache.
 */
export async function embedTrainingInput(
  rows: readonly LabelledRow[],
  headOnly: readonly LabelledRow[],
  encoder: SentenceEncoder,
  onProgress?: (done: number, total: number) => void,
): Promise<SemanticTrainingInput> {
  const all = await embedTexts(
    [...rows, ...headOnly].map((r) => r.text),
    encoder,
    { cachePath: embeddingCachePath(), ...(onProgress ? { onProgress } : {}) },
  );
  return { embeddings: all.slice(0, rows.length), headOnly: { rows: headOnly, embeddings: all.slice(rows.length) } };
}
