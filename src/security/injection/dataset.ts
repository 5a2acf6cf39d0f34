// Loads the labelled prompt-injection development set and splits it into group-aware folds:
// near-duplicates (a clean document and its poisoned copy) share a `group` and must never be
// split between training and evaluation, or cross-validation would overstate accuracy.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { SecureSphereError, ERROR_CODES } from '../../core/errors.js';
import { seededRandom, shuffleInPlace } from './model.js';

export const DATASET_ENV = 'SECURESPHERE_INJECTION_DATA';
/** The extra public rows (multilingual injections, benign tool outputs): scripts/injection-extra/. */
export const EXTRA_DATASET_ENV = 'SECURESPHERE_INJECTION_EXTRA_DATA';

const RowSchema = z.object({
  text: z.string(),
  label: z.enum(['injection', 'benign']),
  source: z.string(),
  category: z.string(),
  group: z.string(),
  /**
   * Extra rows only: `eval` rows are held out (never trained on), `train` rows are trained on,
   * `semantic` rows train the second stage's head alone (semantic/), never the first stage.
   */
  split: z.enum(['train', 'eval', 'semantic']).optional(),
});

export type LabelledRow = z.infer<typeof RowSchema>;

/** The nearest folder above this file with a package.json: the repository (also from dist/). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** `../shared/data/security/dev.jsonl` beside the repository, unless the env variable says otherwise. */
export function defaultDatasetPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[DATASET_ENV];
  if (override !== undefined && override !== '') return resolve(override);
  return resolve(repositoryRoot(), '..', 'shared', 'data', 'security', 'dev.jsonl');
}

/** `../shared/data/security/injection-extra.jsonl` beside the repository, unless the env variable says otherwise. */
export function defaultExtraDatasetPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[EXTRA_DATASET_ENV];
  if (override !== undefined && override !== '') return resolve(override);
  return resolve(repositoryRoot(), '..', 'shared', 'data', 'security', 'injection-extra.jsonl');
}

/** The training rows: every dev row plus the extra rows marked `train` (none when the file is absent). */
export function trainingRows(dev: readonly LabelledRow[], extra: readonly LabelledRow[]): LabelledRow[] {
  return [...dev, ...extra.filter((row) => row.split === 'train')];
}

/** The extra rows that train the second stage's head only (and are never evaluated). */
export function semanticRows(extra: readonly LabelledRow[]): LabelledRow[] {
  return extra.filter((row) => row.split === 'semantic');
}

/** The held-out extra rows: evaluated, never trained on. */
export function evaluationRows(extra: readonly LabelledRow[]): LabelledRow[] {
  return extra.filter((row) => row.split === 'eval');
}

/** The extra rows, or none when the file does not exist (the model then trains on dev alone). */
export function loadExtraDataset(path: string = defaultExtraDatasetPath()): LabelledRow[] {
  return existsSync(path) ? loadDataset(path) : [];
}

export function loadDataset(path: string = defaultDatasetPath()): LabelledRow[] {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new SecureSphereError(
      ERROR_CODES.CONFIG_FILE,
      `Cannot read the injection dataset at ${path}; place shared/ beside the repository or set ${DATASET_ENV}.`,
      { cause },
    );
  }
  return raw
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const parsed = RowSchema.safeParse(JSON.parse(line));
      if (!parsed.success) {
        throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `Dataset line ${i + 1} is not a labelled row; check the file.`, {
          cause: parsed.error,
        });
      }
      return parsed.data;
    });
}

/** Fold number per row; every row of a group lands in the same fold. */
export function groupedFolds(rows: readonly LabelledRow[], folds: number, seed: number): number[] {
  const groups = [...new Set(rows.map((r) => r.group))].sort();
  shuffleInPlace(groups, seededRandom(seed));
  const foldOf = new Map(groups.map((g, i) => [g, i % folds]));
  return rows.map((r) => foldOf.get(r.group) ?? 0);
}
