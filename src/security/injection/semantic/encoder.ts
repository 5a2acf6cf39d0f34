// The sentence encoder of the detector's second stage: all-MiniLM-L6-v2 (Apache-2.0) as an int8
// ONNX file, run in-process by onnxruntime-node on the CPU. It turns a text into 384 numbers that
// place paraphrases near each other, which the hashed n-grams of the first stage cannot do
// ("forget everything you were told" and "disregard your earlier guidance" share no word).
// Loaded on first use, so a gateway that never needs it pays nothing at start.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { SecureSphereError, ERROR_CODES, describeError } from '../../../core/errors.js';
import { createWordPieceTokenizer, type WordPieceTokenizer } from './wordpiece.js';

export const EMBEDDING_DIM = 384;
/** Tokens read per text, [CLS] and [SEP] included (the model's trained maximum). */
export const MAX_TOKENS = 256;

export interface SentenceEncoder {
  /** Unit-length mean-pooled embeddings, one per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

type Ort = typeof import('onnxruntime-node');

export interface EncoderOptions {
  readonly modelPath: string;
  /** Threads of one inference (default 1: the gateway runs many small scans, not one big one). */
  readonly threads?: number;
  /**
   * The SHA-256 the file must have: the encoder the head in model.json was trained on. Another
   * file (an edited one, or another model at $SECURESPHERE_SENTENCE_MODEL) is refused, since the
   * head's weights mean nothing for its embeddings.
   */
  readonly sha256?: string;
}

export async function createSentenceEncoder(options: EncoderOptions): Promise<SentenceEncoder> {
  if (!existsSync(options.modelPath)) {
    throw new SecureSphereError(
      ERROR_CODES.CONFIG_FILE,
      `The detector's sentence model ${options.modelPath} is missing: run \`securesphere model pull minilm-l6-v2-int8\` (scripts/setup.sh does).`,
    );
  }
  if (options.sha256) {
    // Streamed, so the check never holds the whole file in memory.
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(options.modelPath)) hash.update(chunk as Buffer);
    const actual = hash.digest('hex');
    if (actual !== options.sha256) {
      throw new SecureSphereError(
        ERROR_CODES.CONFIG_FILE,
        `The detector's sentence model ${options.modelPath} has SHA-256 ${actual}, not the ${options.sha256} its head was trained on: run \`securesphere model pull minilm-l6-v2-int8\` again.`,
      );
    }
  }
  let ort: Ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (err) {
    throw new SecureSphereError(ERROR_CODES.CONFIG_FILE, `onnxruntime-node could not be loaded (${describeError(err)}): run \`npm ci\`.`, { cause: err });
  }
  const session = await ort.InferenceSession.create(options.modelPath, {
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // The int8 weights are cast to float once, when the graph is optimised (about 90 MB); without
    // the arena and memory patterns a scan adds little on top (bench: injection).
    enableCpuMemArena: false,
    enableMemPattern: false,
  });
  const tokenizer: WordPieceTokenizer = createWordPieceTokenizer();
  return {
    async embed(texts) {
      const out: Float32Array[] = [];
      // One text per run: no padding, so a batch's longest text never slows its shortest.
      for (const text of texts) {
        const ids = tokenizer.encode(text, MAX_TOKENS);
        const n = ids.length;
        const inputIds = new ort.Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(id)), [1, n]);
        const mask = new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
        const types = new ort.Tensor('int64', new BigInt64Array(n), [1, n]);
        const result = await session.run({ input_ids: inputIds, attention_mask: mask, token_type_ids: types });
        const hidden = result.last_hidden_state!.data as Float32Array;
        out.push(meanPool(hidden, n));
      }
      return out;
    },
    async close() {
      await session.release();
    },
  };
}

/** The mean of the token vectors, scaled to unit length. */
export function meanPool(hidden: Float32Array, tokens: number): Float32Array {
  const v = new Float32Array(EMBEDDING_DIM);
  for (let t = 0; t < tokens; t += 1) for (let d = 0; d < EMBEDDING_DIM; d += 1) v[d]! += hidden[t * EMBEDDING_DIM + d]!;
  let norm = 0;
  for (let d = 0; d < EMBEDDING_DIM; d += 1) {
    v[d]! /= tokens;
    norm += v[d]! * v[d]!;
  }
  norm = Math.sqrt(norm) || 1;
  for (let d = 0; d < EMBEDDING_DIM; d += 1) v[d]! /= norm;
  return v;
}
