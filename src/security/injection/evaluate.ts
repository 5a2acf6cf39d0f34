// Grouped cross-validation and threshold selection. The threshold is picked on out-of-fold
// scores (never on scores of rows the model was trained on), so the false-positive budget it
// promises is an honest estimate for unseen text from the same sources.
import type { LabelledRow } from './dataset.js';
import { groupedFolds } from './dataset.js';
import { scorePrepared, type PreparedText } from './scorer.js';
import { fitModel, prepareRows, selectRows, DEFAULT_FIT, type FitOptions } from './fit.js';

export interface ThresholdTargets {
  /** Highest false-positive rate allowed over all benign rows. */
  readonly maxFpr: number;
  /** Highest false-positive rate allowed on `benign:notinject:*` rows. */
  readonly maxNotInjectFpr: number;
}

/** The targets of the issue: at most 1% false positives overall and 3% on notinject. */
export const DEFAULT_TARGETS: ThresholdTargets = { maxFpr: 0.01, maxNotInjectFpr: 0.03 };

/**
 * The shipped threshold keeps a margin under the 1% budget. On this data, the threshold that
 * lands exactly at 1% on one fold split gives 1.05-1.15% on other splits; at 0.75% it stays
 * under 1% on every split tried, for about one point of true-positive rate.
 */
export const SHIPPED_TARGETS: ThresholdTargets = { maxFpr: 0.0075, maxNotInjectFpr: 0.03 };

export interface CrossValidationOptions extends FitOptions {
  readonly folds: number;
  readonly seed: number;
}

export const DEFAULT_CV: CrossValidationOptions = { ...DEFAULT_FIT, folds: 5, seed: 7 };

/** Out-of-fold score for every row. */
export function crossValidatedScores(rows: readonly LabelledRow[], options: CrossValidationOptions = DEFAULT_CV): number[] {
  const data = prepareRows(rows, options);
  const foldOf = groupedFolds(rows, options.folds, options.seed);
  const scores = new Array<number>(rows.length).fill(0);
  for (let fold = 0; fold < options.folds; fold += 1) {
    const model = fitModel(
      selectRows(data, (i) => foldOf[i] !== fold),
      options,
    );
    rows.forEach((_, i) => {
      if (foldOf[i] === fold) scores[i] = scorePrepared(model, data.prepared[i] as PreparedText);
    });
  }
  return scores;
}

const isNotInject = (row: LabelledRow): boolean => row.category.startsWith('benign:notinject');

/**
 * The lowest threshold whose false-positive rates stay within the targets. It sits halfway
 * between the highest benign score that must be passed and the next one, not on a row's score.
 */
export function chooseThreshold(rows: readonly LabelledRow[], scores: readonly number[], targets: ThresholdTargets = DEFAULT_TARGETS): number {
  const candidates = [...new Set(scores)].sort((a, b) => a - b);
  for (let i = 0; i < candidates.length; i += 1) {
    const threshold = i === 0 ? candidates[0]! : (candidates[i - 1]! + candidates[i]!) / 2;
    const m = metricsAt(rows, scores, threshold);
    if (m.fpr <= targets.maxFpr && m.notInjectFpr <= targets.maxNotInjectFpr) return threshold;
  }
  return 1;
}

export interface DetectionMetrics {
  readonly threshold: number;
  readonly tpr: number;
  readonly fpr: number;
  readonly notInjectFpr: number;
  readonly tprByFamily: Readonly<Record<string, number>>;
  readonly counts: Readonly<Record<string, number>>;
}

function rate(hits: number, total: number): number {
  return total === 0 ? 0 : hits / total;
}

export function metricsAt(rows: readonly LabelledRow[], scores: readonly number[], threshold: number): DetectionMetrics {
  const tally = new Map<string, { flagged: number; total: number }>();
  const bump = (key: string, flagged: boolean): void => {
    const t = tally.get(key) ?? { flagged: 0, total: 0 };
    t.total += 1;
    if (flagged) t.flagged += 1;
    tally.set(key, t);
  };
  rows.forEach((row, i) => {
    const flagged = (scores[i] as number) >= threshold;
    if (row.label === 'injection') {
      bump('injection', flagged);
      bump(`injection:${row.category.split(':')[0]}`, flagged);
    } else {
      bump('benign', flagged);
      if (isNotInject(row)) bump('benign:notinject', flagged);
    }
  });
  const r = (key: string): number => rate(tally.get(key)?.flagged ?? 0, tally.get(key)?.total ?? 0);
  const families = ['direct', 'jailbreak', 'indirect'];
  return {
    threshold,
    tpr: r('injection'),
    fpr: r('benign'),
    notInjectFpr: r('benign:notinject'),
    tprByFamily: Object.fromEntries(families.map((f) => [f, r(`injection:${f}`)])),
    counts: Object.fromEntries([...tally.entries()].map(([k, v]) => [k, v.total])),
  };
}
