// Grouped cross-validation and threshold selection. The threshold is picked on out-of-fold
// scores (never on scores of rows the model was trained on), so the false-positive budget it
// promises is an honest estimate for unseen text from the same sources.
import type { LabelledRow } from './dataset.js';
import { groupedFolds } from './dataset.js';
import { classifierMargin, liftedScore, type PreparedText } from './scorer.js';
import { fitModel, prepareRows, selectRows, DEFAULT_FIT, type FitOptions } from './fit.js';

export interface ThresholdTargets {
  /** Highest false-positive rate allowed over all benign rows, and over the shared dev set's. */
  readonly maxFpr: number;
  /** Highest false-positive rate allowed on `benign:notinject:*` rows. */
  readonly maxNotInjectFpr: number;
  /** Highest false-positive rate allowed on each kind of benign tool output (`benign:tool_output:<kind>`). */
  readonly maxToolOutputFpr: number;
}

/** The targets of the issues: at most 1% false positives overall, 3% on notinject, 2% per tool-output kind. */
export const DEFAULT_TARGETS: ThresholdTargets = { maxFpr: 0.01, maxNotInjectFpr: 0.03, maxToolOutputFpr: 0.02 };

/**
 * The shipped threshold keeps a margin under the 1% budget. On this data, the threshold that
 * lands exactly at 1% on one fold split gives 1.05-1.15% on other splits; at 0.75% it stays
 * under 1% on every split tried, for about one point of true-positive rate. Each kind of tool
 * output is held to the 2% target itself: its samples are small (a few dozen to a few hundred
 * rows), so one text more or less moves the rate by up to a point.
 */
export const SHIPPED_TARGETS: ThresholdTargets = { maxFpr: 0.0075, maxNotInjectFpr: 0.03, maxToolOutputFpr: 0.02 };

export interface CrossValidationOptions extends FitOptions {
  readonly folds: number;
  readonly seed: number;
}

export const DEFAULT_CV: CrossValidationOptions = { ...DEFAULT_FIT, folds: 5, seed: 7 };

/** Out-of-fold score for every row. */
export function crossValidatedScores(rows: readonly LabelledRow[], options: CrossValidationOptions = DEFAULT_CV): number[] {
  return crossValidatedParts(rows, options).map((p) => liftedScore(p, p.logOdds, 0));
}

/** A row's out-of-fold classifier log-odds, with what the final score needs besides. */
export interface OutOfFoldPart {
  readonly logOdds: number;
  readonly floor: number;
  readonly document: boolean;
}

/** Out-of-fold classifier log-odds for every row (the second stage adds to them). */
export function crossValidatedParts(rows: readonly LabelledRow[], options: CrossValidationOptions = DEFAULT_CV): OutOfFoldPart[] {
  const data = prepareRows(rows, options);
  const foldOf = groupedFolds(rows, options.folds, options.seed);
  const parts = new Array<OutOfFoldPart>(rows.length);
  for (let fold = 0; fold < options.folds; fold += 1) {
    const model = fitModel(
      selectRows(data, (i) => foldOf[i] !== fold),
      options,
    );
    rows.forEach((_, i) => {
      if (foldOf[i] !== fold) return;
      const prepared = data.prepared[i] as PreparedText;
      parts[i] = { logOdds: classifierMargin(model, prepared), floor: prepared.floor, document: prepared.document };
    });
  }
  return parts;
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
    if (meetsTargets(metricsAt(rows, scores, threshold), targets)) return threshold;
  }
  return 1;
}

/** Whether metrics stay within every false-positive target. */
export function meetsTargets(m: DetectionMetrics, targets: ThresholdTargets): boolean {
  const toolOutput = Object.entries(m.fprByCategory).filter(([category]) => category.startsWith('tool_output:'));
  return (
    m.fpr <= targets.maxFpr &&
    m.devFpr <= targets.maxFpr &&
    m.notInjectFpr <= targets.maxNotInjectFpr &&
    toolOutput.every(([, fpr]) => fpr <= targets.maxToolOutputFpr)
  );
}

export interface DetectionMetrics {
  readonly threshold: number;
  readonly tpr: number;
  readonly fpr: number;
  /** Rates on the shared dev set's rows alone (rows without a `split`). */
  readonly devTpr: number;
  readonly devFpr: number;
  readonly notInjectFpr: number;
  readonly tprByFamily: Readonly<Record<string, number>>;
  /** False-positive rate per benign tool-output kind and per language (`tool_output:code`, `multilingual:de`). */
  readonly fprByCategory: Readonly<Record<string, number>>;
  /** True-positive rate per language of the multilingual injections (`de`, `zh`, ...; `en` is the same prompts in English). */
  readonly tprByLanguage: Readonly<Record<string, number>>;
  readonly counts: Readonly<Record<string, number>>;
}

function rate(hits: number, total: number): number {
  return total === 0 ? 0 : hits / total;
}

/** `benign:tool_output:code` -> `tool_output:code`; undefined for categories not broken out. */
function benignBreakdown(category: string): string | undefined {
  const m = /^benign:((?:tool_output|multilingual|chat):[^:]+)/.exec(category);
  return m?.[1];
}

function injectionLanguage(category: string): string | undefined {
  return /^[a-z]+:multilingual:([^:]+)/.exec(category)?.[1];
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
    const fromDev = row.split === undefined;
    if (row.label === 'injection') {
      bump('injection', flagged);
      if (fromDev) bump('dev:injection', flagged);
      bump(`injection:${row.category.split(':')[0]}`, flagged);
      const language = injectionLanguage(row.category);
      if (language !== undefined) bump(`language:${language}`, flagged);
    } else {
      bump('benign', flagged);
      if (fromDev) bump('dev:benign', flagged);
      if (isNotInject(row)) bump('benign:notinject', flagged);
      const breakdown = benignBreakdown(row.category);
      if (breakdown !== undefined) bump(`category:${breakdown}`, flagged);
    }
  });
  const r = (key: string): number => rate(tally.get(key)?.flagged ?? 0, tally.get(key)?.total ?? 0);
  const keyed = (prefix: string): Record<string, number> =>
    Object.fromEntries(
      [...tally.keys()]
        .filter((k) => k.startsWith(prefix))
        .sort()
        .map((k) => [k.slice(prefix.length), r(k)]),
    );
  const families = ['direct', 'jailbreak', 'indirect'];
  return {
    threshold,
    tpr: r('injection'),
    fpr: r('benign'),
    devTpr: r('dev:injection'),
    devFpr: r('dev:benign'),
    notInjectFpr: r('benign:notinject'),
    tprByFamily: Object.fromEntries(families.map((f) => [f, r(`injection:${f}`)])),
    fprByCategory: keyed('category:'),
    tprByLanguage: keyed('language:'),
    counts: Object.fromEntries([...tally.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.total])),
  };
}
