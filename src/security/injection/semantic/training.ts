// Training of the second stage, beside the first stage's (../training.ts): the head is fitted on
// the training rows' embeddings in the same grouped folds (plus the rows that train the head
// alone, dataset.ts `semantic`), its out-of-fold lifts are added to the first stage's
// out-of-fold log-odds, and the threshold is chosen on those scores with the same targets.
// Documents get no lift: they keep the first stage's verdict, so the e-mail and web-page rates
// the first stage's threshold was chosen for hold. To keep one threshold, a document's log-odds
// are shifted by the gap between the two thresholds (`documentShift`).
import type { LabelledRow } from '../dataset.js';
import { groupedFolds } from '../dataset.js';
import { metricsAt, meetsTargets, type DetectionMetrics, type OutOfFoldPart, type ThresholdTargets } from '../evaluate.js';
import { rowWeight } from '../fit.js';
import { liftedScore } from '../scorer.js';
import { fitSemanticHead, semanticLift, type SemanticHead } from './head.js';

/** Rows that train the head, with their embeddings: the training rows, or rows for the head alone. */
export interface EmbeddedRows {
  readonly rows: readonly LabelledRow[];
  readonly embeddings: readonly Float32Array[];
}

/** What the second stage trains on: one embedding per training row, and the rows for the head alone. */
export interface SemanticTrainingInput {
  readonly embeddings: readonly Float32Array[];
  readonly headOnly?: EmbeddedRows;
}

export function fitHeadOn(sets: readonly EmbeddedRows[], devRowWeight: number, keep: (set: number, i: number) => boolean = () => true): SemanticHead {
  const x: Float32Array[] = [];
  const y: boolean[] = [];
  const w: number[] = [];
  sets.forEach((set, s) =>
    set.rows.forEach((row, i) => {
      if (!keep(s, i)) return;
      x.push(set.embeddings[i]!);
      y.push(row.label === 'injection');
      w.push(rowWeight(row, devRowWeight));
    }),
  );
  return fitSemanticHead(x, y, w);
}

/** Each training row's out-of-fold lift (0 for documents), in the folds the first stage used. */
export function outOfFoldLifts(
  training: EmbeddedRows,
  parts: readonly OutOfFoldPart[],
  headOnly: EmbeddedRows | undefined,
  options: { folds: number; seed: number; devRowWeight: number },
): number[] {
  const foldOf = groupedFolds(training.rows, options.folds, options.seed);
  const lifts = new Array<number>(training.rows.length).fill(0);
  const sets = headOnly ? [training, headOnly] : [training];
  for (let fold = 0; fold < options.folds; fold += 1) {
    const head = fitHeadOn(sets, options.devRowWeight, (s, i) => s === 1 || foldOf[i] !== fold);
    training.rows.forEach((_, i) => {
      if (foldOf[i] === fold && !parts[i]!.document) lifts[i] = semanticLift(head, training.embeddings[i]!);
    });
  }
  return lifts;
}

const logit = (p: number): number => Math.log(p / (1 - p));

/** Final scores of both stages: lifted log-odds for other texts, shifted ones for documents. */
export function bothStageScores(parts: readonly OutOfFoldPart[], lifts: readonly number[], documentShift: number): number[] {
  return parts.map((p, i) => liftedScore(p, p.logOdds, p.document ? documentShift : lifts[i]!));
}

/**
 * The lowest threshold for both stages within the targets while documents keep the first
 * stage's verdict at `firstThreshold`; candidates sit halfway between consecutive scores.
 */
export function chooseBothStageThreshold(
  rows: readonly LabelledRow[],
  parts: readonly OutOfFoldPart[],
  lifts: readonly number[],
  firstThreshold: number,
  targets: ThresholdTargets,
): { threshold: number; documentShift: number; metrics: DetectionMetrics } {
  const chat = [...new Set(parts.flatMap((p, i) => (p.document ? [] : [liftedScore(p, p.logOdds, lifts[i]!)])))].sort((a, b) => a - b);
  for (let i = 0; i < chat.length; i += 1) {
    const threshold = i === 0 ? chat[0]! : (chat[i - 1]! + chat[i]!) / 2;
    if (threshold <= 0 || threshold >= 1) continue;
    const documentShift = logit(threshold) - logit(firstThreshold);
    const metrics = metricsAt(rows, bothStageScores(parts, lifts, documentShift), threshold);
    if (meetsTargets(metrics, targets)) return { threshold, documentShift, metrics };
  }
  return { threshold: firstThreshold, documentShift: 0, metrics: metricsAt(rows, bothStageScores(parts, lifts, 0), firstThreshold) };
}
