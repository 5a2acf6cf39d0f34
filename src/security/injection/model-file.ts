// The committed model file: dense float32 weights (little-endian, base64), the bias, the
// threshold chosen by cross-validation and the metrics that justified it. Read once at start;
// a file that does not match the feature layout is refused rather than silently misread.
import { z } from 'zod';
import { SecureSphereError, ERROR_CODES } from '../../core/errors.js';
import { FEATURE_BITS, FEATURE_DIM } from './features.js';
import type { LinearModel } from './model.js';

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
});

export type ModelFile = z.infer<typeof ModelFileSchema>;

export function encodeWeights(weights: Float32Array): string {
  const bytes = Buffer.alloc(weights.length * 4);
  weights.forEach((w, i) => bytes.writeFloatLE(w, i * 4));
  return bytes.toString('base64');
}

export function decodeModelFile(raw: unknown): { model: LinearModel; threshold: number; file: ModelFile } {
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
  return { model: { weights, bias: parsed.data.bias }, threshold: parsed.data.threshold, file: parsed.data };
}
