// Fits the classifier to labelled rows; shared by cross-validation and the shipped model so
// both are trained exactly the same way.
//
// Besides each whole text, short pieces of benign texts are added as benign examples (a piece
// of harmless text is harmless). Without them the model learns "short means attack", since
// most short texts in the data are attacks. Pieces of injections are not used: only one of
// them may carry the attack. (Adding each injection's best-scoring chunk as a positive,
// multiple-instance style, was tried and did not help under cross-validation.)
//
// Where the attack's place is known, it is used: a poisoned text whose clean twin is in the
// same group (an instruction planted in an e-mail, table or code) also yields the piece around
// what it adds as a positive (long texts only: they are scored piece by piece, short ones
// whole). Cross-validation kept the whole poisoned text as a positive too (`wholePoisoned`):
// without it fewer planted attacks were caught at the same false-positive rate.
import type { LabelledRow } from './dataset.js';
import { trainLogisticRegression, DEFAULT_TRAIN_OPTIONS, type LinearModel, type TrainOptions, type TrainingExample } from './model.js';
import { pieceSource, pieceFeatures, prepareText, splitIntoChunks, DEFAULT_SCORING, type PreparedText, type ScoringOptions } from './scorer.js';
import { normalizeText } from './normalize.js';
import type { SparseVector } from './features.js';

export interface FitOptions {
  readonly train: TrainOptions;
  readonly scoring: ScoringOptions;
  /** Size in characters of the benign pieces (0 disables them). */
  readonly benignPieceChars: number;
  /** Characters kept on each side of what a poisoned text adds to its clean twin (0 disables twin pieces). */
  readonly twinRadiusChars: number;
  /** Whether a poisoned text with a clean twin is also a positive example as a whole. */
  readonly wholePoisoned: boolean;
  /**
   * How many times a row of the shared dev set (a row without `split`), and each benign piece of
   * it, counts in training. The extra public rows are helpers from other sources; the dev rows
   * come from the sources the detector is judged on.
   */
  readonly devRowWeight: number;
}

export const DEFAULT_FIT: FitOptions = {
  train: DEFAULT_TRAIN_OPTIONS,
  scoring: DEFAULT_SCORING,
  benignPieceChars: 100,
  twinRadiusChars: 200,
  wholePoisoned: true,
  devRowWeight: 6,
};

export interface PreparedRows {
  readonly rows: readonly LabelledRow[];
  readonly prepared: readonly PreparedText[];
  readonly pieces: readonly (readonly SparseVector[])[];
  /** Per injection row with a clean twin: the piece around the planted text (else empty). */
  readonly twinPieces: readonly (readonly SparseVector[])[];
}

function benignPieces(row: LabelledRow, options: FitOptions): SparseVector[] {
  const size = options.benignPieceChars;
  if (row.label !== 'benign' || size <= 0) return [];
  const text = normalizeText(row.text).text;
  if (text.length <= size * 1.5) return [];
  const source = pieceSource(text, options.scoring);
  return splitIntoChunks(text, size).map((piece) => pieceFeatures(piece, options.scoring, source));
}

/**
 * The part of `poisoned` around what it adds to `clean`, or undefined when the two are not
 * twins (less than 80% of the clean text kept around one inserted span).
 */
export function plantedWindow(poisoned: string, clean: string, radius: number): string | undefined {
  const limit = Math.min(poisoned.length, clean.length);
  let prefix = 0;
  while (prefix < limit && poisoned[prefix] === clean[prefix]) prefix += 1;
  let suffix = 0;
  while (suffix < limit - prefix && poisoned[poisoned.length - 1 - suffix] === clean[clean.length - 1 - suffix]) suffix += 1;
  const end = poisoned.length - suffix;
  if (prefix + suffix < clean.length * 0.8 || end - prefix < 10) return undefined;
  return poisoned.slice(Math.max(0, prefix - radius), Math.min(poisoned.length, end + radius));
}

function twinPieces(rows: readonly LabelledRow[], options: FitOptions): SparseVector[][] {
  if (options.twinRadiusChars <= 0) return rows.map(() => []);
  const cleanByGroup = new Map<string, string[]>();
  for (const row of rows) {
    if (row.label !== 'benign') continue;
    const list = cleanByGroup.get(row.group) ?? [];
    list.push(normalizeText(row.text).text);
    cleanByGroup.set(row.group, list);
  }
  return rows.map((row) => {
    if (row.label !== 'injection') return [];
    const poisoned = normalizeText(row.text).text;
    // A short text is scored whole, so its whole vector is the right example; only long texts,
    // scored piece by piece, get the piece around the planted text.
    if (poisoned.length <= options.scoring.chunkChars * 1.5) return [];
    for (const clean of cleanByGroup.get(row.group) ?? []) {
      const window = plantedWindow(poisoned, clean, options.twinRadiusChars);
      if (window !== undefined) return [pieceFeatures(window, options.scoring, pieceSource(poisoned, options.scoring))];
    }
    return [];
  });
}

/** Feature extraction for every row, done once and reused by every fold. */
export function prepareRows(rows: readonly LabelledRow[], options: FitOptions = DEFAULT_FIT): PreparedRows {
  return {
    rows,
    prepared: rows.map((row) => prepareText(row.text, options.scoring)),
    pieces: rows.map((row) => benignPieces(row, options)),
    twinPieces: twinPieces(rows, options),
  };
}

/** The subset of prepared rows whose index passes `keep`. */
export function selectRows(data: PreparedRows, keep: (index: number) => boolean): PreparedRows {
  return {
    rows: data.rows.filter((_, i) => keep(i)),
    prepared: data.prepared.filter((_, i) => keep(i)),
    pieces: data.pieces.filter((_, i) => keep(i)),
    twinPieces: data.twinPieces.filter((_, i) => keep(i)),
  };
}

function baseExamples(data: PreparedRows, options: FitOptions): TrainingExample[] {
  const examples: TrainingExample[] = [];
  const weightOf = (row: LabelledRow): number => rowWeight(row, options.devRowWeight);
  data.rows.forEach((row, i) => {
    const twins = data.twinPieces[i] ?? [];
    if (twins.length > 0 && !options.wholePoisoned) return;
    examples.push({ x: (data.prepared[i] as PreparedText).vectors[0] as SparseVector, y: row.label === 'injection' ? 1 : 0, weight: weightOf(row) });
  });
  for (const list of data.twinPieces) for (const x of list) examples.push({ x, y: 1 });
  data.pieces.forEach((list, i) => {
    const weight = weightOf(data.rows[i] as LabelledRow);
    for (const x of list) examples.push({ x, y: 0, weight });
  });
  return examples;
}

export function fitModel(data: PreparedRows, options: FitOptions = DEFAULT_FIT): LinearModel {
  return trainLogisticRegression(baseExamples(data, options), options.train);
}

/**
 * A row's weight in training: a row of the shared dev set counts `devRowWeight` times (it comes
 * from the sources the detector is judged on), an extra row once. Rows that train the second
 * stage's head alone (`semantic`: everyday requests, which the dev set has few of) count like
 * dev rows there; the first stage never sees them.
 */
export function rowWeight(row: LabelledRow, devRowWeight: number): number {
  return row.split === undefined || row.split === 'semantic' ? devRowWeight : 1;
}
