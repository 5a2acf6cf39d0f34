// Builds the shipped model from labelled rows: grouped cross-validation picks the threshold,
// then one model is trained on every row. Pure apart from its inputs, so tests can run it on
// a subset and check that training is deterministic.
import { createHash } from 'node:crypto';
import type { LabelledRow } from './dataset.js';
import type { LinearModel } from './model.js';
import { fitModel, prepareRows } from './fit.js';
import { liftedScore } from './scorer.js';
import type { SemanticHead } from './semantic/head.js';
import { chooseBothStageThreshold, fitHeadOn, outOfFoldLifts, type EmbeddedRows, type SemanticTrainingInput } from './semantic/training.js';
import {
  chooseThreshold,
  crossValidatedParts,
  metricsAt,
  DEFAULT_CV,
  SHIPPED_TARGETS,
  type CrossValidationOptions,
  type DetectionMetrics,
  type ThresholdTargets,
} from './evaluate.js';
import { encodeHeadWeights, encodeWeights, MODEL_FORMAT, type ModelFile } from './model-file.js';
import { FEATURE_BITS } from './features.js';

export function trainOnAll(rows: readonly LabelledRow[], options: CrossValidationOptions = DEFAULT_CV): LinearModel {
  return fitModel(prepareRows(rows, options), options);
}

export interface TrainingResult {
  readonly model: LinearModel;
  readonly threshold: number;
  readonly crossValidation: DetectionMetrics;
  /** With embeddings: the second stage's head and the threshold of both stages together. */
  readonly semantic?: { readonly head: SemanticHead; readonly threshold: number; readonly documentShift: number; readonly crossValidation: DetectionMetrics };
}

/**
 * Both thresholds come from the same out-of-fold log-odds: the first stage's alone (used when
 * the encoder cannot run) and, given one embedding per row, the two stages' together.
 */
export function trainWithCrossValidatedThreshold(
  rows: readonly LabelledRow[],
  options: CrossValidationOptions = DEFAULT_CV,
  targets: ThresholdTargets = SHIPPED_TARGETS,
  semantic?: SemanticTrainingInput,
): TrainingResult {
  const parts = crossValidatedParts(rows, options);
  const scores = parts.map((p) => liftedScore(p, p.logOdds, 0));
  const threshold = chooseThreshold(rows, scores, targets);
  const result: TrainingResult = { model: trainOnAll(rows, options), threshold, crossValidation: metricsAt(rows, scores, threshold) };
  if (!semantic) return result;
  const training: EmbeddedRows = { rows, embeddings: semantic.embeddings };
  const lifts = outOfFoldLifts(training, parts, semantic.headOnly, options);
  const both = chooseBothStageThreshold(rows, parts, lifts, threshold, targets);
  const head = fitHeadOn(semantic.headOnly ? [training, semantic.headOnly] : [training], options.devRowWeight);
  return { ...result, semantic: { head, threshold: both.threshold, documentShift: both.documentShift, crossValidation: both.metrics } };
}

export function datasetFingerprint(rows: readonly LabelledRow[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${row.label}\u0000${row.group}\u0000${row.text}\u0001`);
  return hash.digest('hex');
}

export function buildModelFile(
  rows: readonly LabelledRow[],
  result: TrainingResult,
  datasetName: string,
  options: CrossValidationOptions = DEFAULT_CV,
  extraDatasetName?: string,
  encoder?: { readonly name: string; readonly sha256: string },
): ModelFile {
  const round = (x: number): number => Math.round(x * 1e4) / 1e4;
  const rounded = (record: Readonly<Record<string, number>>): Record<string, number> =>
    Object.fromEntries(Object.entries(record).map(([k, v]) => [k, round(v)]));
  const cv = result.crossValidation;
  const metrics = (m: DetectionMetrics) => ({
    threshold: m.threshold,
    tpr: round(m.tpr),
    fpr: round(m.fpr),
    devTpr: round(m.devTpr),
    devFpr: round(m.devFpr),
    notInjectFpr: round(m.notInjectFpr),
    tprByFamily: rounded(m.tprByFamily),
    fprByCategory: rounded(m.fprByCategory),
    tprByLanguage: rounded(m.tprByLanguage),
    counts: m.counts,
  });
  const semantic = result.semantic;
  return {
    format: MODEL_FORMAT,
    featureBits: FEATURE_BITS,
    bias: result.model.bias,
    threshold: result.threshold,
    training: {
      dataset: datasetName,
      ...(extraDatasetName === undefined ? {} : { extraDataset: extraDatasetName }),
      rows: rows.length,
      sha256: datasetFingerprint(rows),
      options: {
        ...options.train,
        ...options.scoring,
        benignPieceChars: options.benignPieceChars,
        twinRadiusChars: options.twinRadiusChars,
        wholePoisoned: options.wholePoisoned,
        devRowWeight: options.devRowWeight,
      },
    },
    crossValidation: { folds: options.folds, seed: options.seed, ...metrics(cv), threshold: result.threshold },
    ...(semantic && encoder
      ? {
          semantic: {
            encoder: encoder.name,
            encoderSha256: encoder.sha256,
            scale: semantic.head.scale,
            clip: semantic.head.clip,
            bias: semantic.head.bias,
            weights: encodeHeadWeights(semantic.head.weights),
            threshold: semantic.threshold,
            documentShift: semantic.documentShift,
            crossValidation: { ...metrics(semantic.crossValidation), threshold: semantic.threshold },
          },
        }
      : {}),
    weights: encodeWeights(result.model.weights),
  };
}
