// Fits the classifier to labelled rows; shared by cross-validation and the shipped model so
// both are trained exactly the same way.
//
// Besides each whole text, short pieces of benign texts are added as benign examples (a piece
// of harmless text is harmless). Without them the model learns "short means attack", since
// most short texts in the data are attacks. Pieces of injections are not used: only one of
// them may carry the attack. (Adding each injection's best-scoring chunk as a positive,
// multiple-instance style, was tried and did not help under cross-validation.)
import type { LabelledRow } from './dataset.js';
import { trainLogisticRegression, DEFAULT_TRAIN_OPTIONS, type LinearModel, type TrainOptions, type TrainingExample } from './model.js';
import { pieceFeatures, prepareText, splitIntoChunks, DEFAULT_SCORING, type PreparedText, type ScoringOptions } from './scorer.js';
import { normalizeText } from './normalize.js';
import type { SparseVector } from './features.js';

export interface FitOptions {
  readonly train: TrainOptions;
  readonly scoring: ScoringOptions;
  /** Size in characters of the benign pieces (0 disables them). */
  readonly benignPieceChars: number;
}

export const DEFAULT_FIT: FitOptions = {
  train: DEFAULT_TRAIN_OPTIONS,
  scoring: DEFAULT_SCORING,
  benignPieceChars: 100,
};

export interface PreparedRows {
  readonly rows: readonly LabelledRow[];
  readonly prepared: readonly PreparedText[];
  readonly pieces: readonly (readonly SparseVector[])[];
}

function benignPieces(row: LabelledRow, options: FitOptions): SparseVector[] {
  const size = options.benignPieceChars;
  if (row.label !== 'benign' || size <= 0) return [];
  const text = normalizeText(row.text).text;
  if (text.length <= size * 1.5) return [];
  return splitIntoChunks(text, size).map((piece) => pieceFeatures(piece, options.scoring));
}

/** Feature extraction for every row, done once and reused by every fold. */
export function prepareRows(rows: readonly LabelledRow[], options: FitOptions = DEFAULT_FIT): PreparedRows {
  return {
    rows,
    prepared: rows.map((row) => prepareText(row.text, options.scoring)),
    pieces: rows.map((row) => benignPieces(row, options)),
  };
}

/** The subset of prepared rows whose index passes `keep`. */
export function selectRows(data: PreparedRows, keep: (index: number) => boolean): PreparedRows {
  return {
    rows: data.rows.filter((_, i) => keep(i)),
    prepared: data.prepared.filter((_, i) => keep(i)),
    pieces: data.pieces.filter((_, i) => keep(i)),
  };
}

function baseExamples(data: PreparedRows): TrainingExample[] {
  const examples: TrainingExample[] = data.rows.map((row, i) => ({
    x: (data.prepared[i] as PreparedText).vectors[0] as SparseVector,
    y: row.label === 'injection' ? 1 : 0,
  }));
  for (const list of data.pieces) for (const x of list) examples.push({ x, y: 0 });
  return examples;
}

export function fitModel(data: PreparedRows, options: FitOptions = DEFAULT_FIT): LinearModel {
  return trainLogisticRegression(baseExamples(data), options.train);
}
