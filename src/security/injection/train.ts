// Trains the committed injection model: `npx tsx src/security/injection/train.ts`.
// Reads ../shared/data/security/dev.jsonl (or $SECURESPHERE_INJECTION_DATA) and, when present,
// the `train` rows of the extra public data ($SECURESPHERE_INJECTION_EXTRA_DATA, built by
// scripts/injection-extra/prepare.py; its `eval` rows are never trained on). Picks the
// threshold by grouped cross-validation, trains on every training row and writes model.json
// beside this file. Deterministic: rerunning on the same data rewrites identical bytes.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename } from 'node:path';
import { defaultDatasetPath, defaultExtraDatasetPath, loadDataset, loadExtraDataset, semanticRows, trainingRows } from './dataset.js';
import { buildModelFile, trainWithCrossValidatedThreshold } from './training.js';
import { DEFAULT_CV, SHIPPED_TARGETS } from './evaluate.js';
import { createSentenceEncoder } from './semantic/encoder.js';
import { embedTrainingInput } from './semantic/embed-rows.js';
import { SENTENCE_MODEL, embeddingCachePath, sentenceModelPath } from './semantic/location.js';

const datasetPath = defaultDatasetPath();
const extraPath = defaultExtraDatasetPath();
const extra = loadExtraDataset(extraPath);
const rows = trainingRows(loadDataset(datasetPath), extra);
const started = Date.now();
// The second stage needs the sentence encoder; without it the file gets the first stage alone.
const encoder = await createSentenceEncoder({ modelPath: sentenceModelPath(), threads: 2, sha256: SENTENCE_MODEL.sha256 }).catch((err: unknown) => {
  console.warn(`No second stage: ${err instanceof Error ? err.message : String(err)}`);
  return undefined;
});
let shown = -1;
const progress = (done: number, total: number): void => {
  const tenth = Math.floor((done / total) * 10);
  if (tenth !== shown) console.log(`embedding rows: ${done}/${total} not yet cached (${embeddingCachePath()})`);
  shown = tenth;
};
const semantic = encoder ? await embedTrainingInput(rows, semanticRows(extra), encoder, progress) : undefined;
await encoder?.close();
const result = trainWithCrossValidatedThreshold(rows, DEFAULT_CV, SHIPPED_TARGETS, semantic);
const extraName = extra.length > 0 ? basename(extraPath) : undefined;
const file = buildModelFile(rows, result, `shared/data/security/${basename(datasetPath)}`, DEFAULT_CV, extraName, semantic ? { name: SENTENCE_MODEL.name, sha256: SENTENCE_MODEL.sha256 } : undefined);
const target = fileURLToPath(new URL('./model.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(file, null, 1)}\n`);
const cv = file.crossValidation;
console.log(
  `trained on ${rows.length} rows (${extra.length > 0 ? `dev + extra ${extraName}` : 'dev only: no extra data found'}) in ${Date.now() - started} ms; ` +
    `threshold ${cv.threshold.toFixed(4)}; cross-validated TPR ${(cv.tpr * 100).toFixed(1)}% at FPR ${(cv.fpr * 100).toFixed(2)}% ` +
    `(dev rows: TPR ${(cv.devTpr * 100).toFixed(1)}% FPR ${(cv.devFpr * 100).toFixed(2)}%; notinject FPR ${(cv.notInjectFpr * 100).toFixed(1)}%); wrote ${target}`,
);
console.log(`FPR by category: ${JSON.stringify(cv.fprByCategory)}`);
const both = file.semantic?.crossValidation;
if (both) {
  console.log(
    `with the second stage: threshold ${both.threshold.toFixed(4)}; TPR ${(both.tpr * 100).toFixed(1)}% at FPR ${(both.fpr * 100).toFixed(2)}% ` +
      `(dev rows: TPR ${(both.devTpr * 100).toFixed(1)}% FPR ${(both.devFpr * 100).toFixed(2)}%; notinject FPR ${(both.notInjectFpr * 100).toFixed(1)}%)`,
  );
  console.log(`FPR by category: ${JSON.stringify(both.fprByCategory)}`);
}
console.log(`TPR by language: ${JSON.stringify(cv.tprByLanguage)}`);
