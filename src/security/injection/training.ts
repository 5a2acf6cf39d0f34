// Builds the shipped model from labelled rows: grouped cross-validation picks the threshold,
// then one model is trained on every row. Pure apart from its inputs, so tests can run it on
// a subset and check that training is deterministic.
import { createHash } from 'node:crypto';
import type { LabelledRow } from './dataset.js';
import type { LinearModel } from './model.js';
import { fitModel, prepareRows } from './fit.js';
import {
  chooseThreshold,
  crossValidatedScores,
  metricsAt,
  DEFAULT_CV,
  SHIPPED_TARGETS,
  type CrossValidationOptions,
  type DetectionMetrics,
  type ThresholdTargets,
} from './evaluate.js';
import { encodeWeights, MODEL_FORMAT, type ModelFile } from './model-file.js';
import { FEATURE_BITS } from './features.js';

export function trainOnAll(rows: readonly LabelledRow[], options: CrossValidationOptions = DEFAULT_CV): LinearModel {
  return fitModel(prepareRows(rows, options), options);
}

export interface TrainingResult {
  readonly model: LinearModel;
  readonly threshold: number;
  readonly crossValidation: DetectionMetrics;
}

export function trainWithCrossValidatedThreshold(
  rows: readonly LabelledRow[],
  options: CrossValidationOptions = DEFAULT_CV,
  targets: ThresholdTargets = SHIPPED_TARGETS,
): TrainingResult {
  const scores = crossValidatedScores(rows, options);
  const threshold = chooseThreshold(rows, scores, targets);
  return { model: trainOnAll(rows, options), threshold, crossValidation: metricsAt(rows, scores, threshold) };
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
): ModelFile {
  const round = (x: number): number => Math.round(x * 1e4) / 1e4;
  const rounded = (record: Readonly<Record<string, number>>): Record<string, number> =>
    Object.fromEntries(Object.entries(record).map(([k, v]) => [k, round(v)]));
  const cv = result.crossValidation;
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
    crossValidation: {
      folds: options.folds,
      seed: options.seed,
      threshold: result.threshold,
      tpr: round(cv.tpr),
      fpr: round(cv.fpr),
      devTpr: round(cv.devTpr),
      devFpr: round(cv.devFpr),
      notInjectFpr: round(cv.notInjectFpr),
      tprByFamily: rounded(cv.tprByFamily),
      fprByCategory: rounded(cv.fprByCategory),
      tprByLanguage: rounded(cv.tprByLanguage),
      counts: cv.counts,
    },
    weights: encodeWeights(result.model.weights),
  };
}
