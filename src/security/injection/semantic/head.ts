// The second stage's classifier: logistic regression over a text's sentence embedding (384
// numbers, encoder.ts), fitted by Newton's method in float64, so the same rows give the same
// weights on every machine. Its log-odds, scaled and clipped, are added to the first stage's for
// texts that are not documents (chat messages, short tool results): documents are scored in
// segments, and a whole-text embedding of a long mail says nothing about the line planted in it.
import { EMBEDDING_DIM } from './encoder.js';

export interface SemanticHead {
  readonly weights: Float64Array;
  readonly bias: number;
  /** The head's log-odds are multiplied by this before they are added to the first stage's. */
  readonly scale: number;
  /** And clipped to ±clip: the second stage can move a score by at most this much log-odds. */
  readonly clip: number;
}

/**
 * Scale and clip, chosen by grouped cross-validation over fold seeds 7 / 3 / 11 (README): the
 * gain was flat between 0.3 and 0.5, and a clip of 2 lost nothing against none while it bounds
 * which texts need the encoder at all (those within 2 log-odds of the threshold).
 */
export const SEMANTIC_SCALE = 0.3;
export const SEMANTIC_CLIP = 2;
/** The head's L2 penalty, as 1 / C of a weighted logistic loss (C = 1). */
export const SEMANTIC_L2 = 1;

/** The clipped, scaled log-odds the head adds for one embedding. */
export function semanticLift(head: SemanticHead, embedding: Float32Array): number {
  let z = head.bias;
  for (let d = 0; d < EMBEDDING_DIM; d += 1) z += head.weights[d]! * embedding[d]!;
  return Math.max(-head.clip, Math.min(head.clip, head.scale * z));
}

/**
 * Weighted L2-regularised logistic regression (the bias is not penalised). Newton steps with a
 * Cholesky solve: 385 unknowns, converged to 1e-9 in about ten steps.
 */
export function fitSemanticHead(
  embeddings: readonly Float32Array[],
  labels: readonly boolean[],
  weights: readonly number[],
  options: { l2?: number; scale?: number; clip?: number } = {},
): SemanticHead {
  const l2 = options.l2 ?? SEMANTIC_L2;
  const n = embeddings.length;
  const p = EMBEDDING_DIM + 1;
  const beta = new Float64Array(p);
  const x = new Float64Array(p);
  for (let step = 0; step < 50; step += 1) {
    const grad = new Float64Array(p);
    const hess = new Float64Array(p * p);
    for (let i = 0; i < n; i += 1) {
      const e = embeddings[i]!;
      for (let d = 0; d < EMBEDDING_DIM; d += 1) x[d] = e[d]!;
      x[EMBEDDING_DIM] = 1;
      let z = 0;
      for (let d = 0; d < p; d += 1) z += beta[d]! * x[d]!;
      const prob = 1 / (1 + Math.exp(-z));
      const w = weights[i]!;
      const r = w * (prob - (labels[i] ? 1 : 0));
      const h = w * prob * (1 - prob);
      for (let a = 0; a < p; a += 1) {
        grad[a]! += r * x[a]!;
        const hx = h * x[a]!;
        if (hx === 0) continue;
        const row = a * p;
        for (let b = 0; b <= a; b += 1) hess[row + b]! += hx * x[b]!;
      }
    }
    for (let d = 0; d < EMBEDDING_DIM; d += 1) {
      grad[d]! += l2 * beta[d]!;
      hess[d * p + d]! += l2;
    }
    hess[EMBEDDING_DIM * p + EMBEDDING_DIM]! += 1e-9;
    const delta = choleskySolve(hess, grad, p);
    let change = 0;
    for (let d = 0; d < p; d += 1) {
      beta[d]! -= delta[d]!;
      change = Math.max(change, Math.abs(delta[d]!));
    }
    if (change < 1e-9) break;
  }
  return { weights: beta.slice(0, EMBEDDING_DIM), bias: beta[EMBEDDING_DIM]!, scale: options.scale ?? SEMANTIC_SCALE, clip: options.clip ?? SEMANTIC_CLIP };
}

/** Solves A x = b for a symmetric positive-definite A given by its lower triangle (row-major). */
function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      let sum = a[i * n + j]!;
      for (let k = 0; k < j; k += 1) sum -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = i === j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / l[j * n + j]!;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    let sum = b[i]!;
    for (let k = 0; k < i; k += 1) sum -= l[i * n + k]! * y[k]!;
    y[i] = sum / l[i * n + i]!;
  }
  const out = new Float64Array(n);
  for (let i = n - 1; i >= 0; i -= 1) {
    let sum = y[i]!;
    for (let k = i + 1; k < n; k += 1) sum -= l[k * n + i]! * out[k]!;
    out[i] = sum / l[i * n + i]!;
  }
  return out;
}
