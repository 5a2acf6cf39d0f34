// The committed model file: dense float32 weights (little-endian, base64), the bias, the
// threshold chosen by cross-validation and the metrics that justified it. Read once at start;
// a file that does not match the feature layout is refused rather than silently misread.
import { z } from 'zod';
import { SecureSphereError, ERROR_CODES } from '../../core/errors.js';
import { FEATURE_BITS, FEATURE_DIM } from './features.js';
import type { LinearModel } from './model.js';
import { EMBEDDING_DIM } from './semantic/encoder.js';
import type { SemanticHead } from './semantic/head.js';

export const MODEL_FORMAT = 1;

const MetricsSchema = z.object({
  threshold: z.number(),
  tpr: z.number(),
  fpr: z.number(),
  devTpr: z.number(),
  devFpr: z.number(),
  notInjectFpr: z.number(),
  tprByFamily: z.record(z.string(), z.number()),
  fprByCategory: z.record(z.string(), z.number()),
  tprByLanguage: z.record(z.string(), z.number()),
  counts: z.record(z.string(), z.number()),
});

export const ModelFileSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  featureBits: z.number().int(),
  bias: z.number(),
  threshold: z.number().min(0).max(1),
  weights: z.string(),
  training: z.object({
    dataset: z.string(),
    /** The extra public rows trained on besides the dev set (their `train` split), if any. */
    extraDataset: z.string().optional(),
    rows: z.number().int(),
    sha256: z.string(),
    options: z.record(z.string(), z.unknown()),
  }),
  crossValidation: MetricsSchema.extend({ folds: z.number().int(), seed: z.number().int() }),
  /** The second stage (semantic/): a head over the sentence encoder's embedding, and the threshold of both stages together. */
  semantic: z
    .object({
      encoder: z.string(),
      encoderSha256: z.string(),
      scale: z.number(),
      clip: z.number().positive(),
      bias: z.number(),
      /** float64, little-endian, base64 */
      weights: z.string(),
      threshold: z.number().min(0).max(1),
      /** Added to a document's log-odds: documents keep the first stage's verdict under the second stage's threshold. */
      documentShift: z.number(),
      crossValidation: MetricsSchema,
    })
    .optional(),
});

export type ModelFile = z.infer<typeof ModelFileSchema>;

export function encodeWeights(weights: Float32Array): string {
  const bytes = Buffer.alloc(weights.length * 4);
  weights.forEach((w, i) => bytes.writeFloatLE(w, i * 4));
  return bytes.toString('base64');
}

export function encodeHeadWeights(weights: Float64Array): string {
  const bytes = Buffer.alloc(weights.length * 8);
  weights.forEach((w, i) => bytes.writeDoubleLE(w, i * 8));
  return bytes.toString('base64');
}

export interface ShippedSemanticStage {
  readonly head: SemanticHead;
  /** The threshold of both stages together (the first stage's alone is the file's `threshold`). */
  readonly threshold: number;
  /** Added to a document's log-odds (documents get no embedding; see semantic/training.ts). */
  readonly documentShift: number;
  readonly encoder: string;
  readonly encoderSha256: string;
}

export function decodeModelFile(raw: unknown): { model: LinearModel; threshold: number; file: ModelFile; semantic?: ShippedSemanticStage } {
  const parsed = ModelFileSchema.safeParse(raw);
  if (!parsed.success || parsed.data.featureBits !== FEATURE_BITS) {
    throw new SecureSphereError(
      ERROR_CODES.CONFIG_FILE,
      'The injection model file does not match this build; rerun `npx tsx src/security/injection/train.ts`.',
      parsed.success ? undefined : { cause: parsed.error },
    );
  }
  const bytes = Buffer.from(parsed.data.weights, 'base64');
  if (bytes.length !== FEATURE_DIM * 4) {
    throw new SecureSphereError(ERROR_CODES.CONFIG_FILE, 'The injection model weights are truncated; retrain or restore the file.');
  }
  const weights = new Float32Array(FEATURE_DIM);
  for (let i = 0; i < FEATURE_DIM; i += 1) weights[i] = bytes.readFloatLE(i * 4);
  const stage = parsed.data.semantic;
  let semantic: ShippedSemanticStage | undefined;
  if (stage) {
    const headBytes = Buffer.from(stage.weights, 'base64');
    if (headBytes.length !== EMBEDDING_DIM * 8) {
      throw new SecureSphereError(ERROR_CODES.CONFIG_FILE, 'The injection model\'s semantic head is truncated; retrain or restore the file.');
    }
    const headWeights = new Float64Array(EMBEDDING_DIM);
    for (let i = 0; i < EMBEDDING_DIM; i += 1) headWeights[i] = headBytes.readDoubleLE(i * 8);
    semantic = {
      head: { weights: headWeights, bias: stage.bias, scale: stage.scale, clip: stage.clip },
      threshold: stage.threshold,
      documentShift: stage.documentShift,
      encoder: stage.encoder,
      encoderSha256: stage.encoderSha256,
    };
  }
  return { model: { weights, bias: parsed.data.bias }, threshold: parsed.data.threshold, file: parsed.data, ...(semantic ? { semantic } : {}) };
}
