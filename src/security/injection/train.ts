// Trains the committed injection model: `npx tsx src/security/injection/train.ts`.
// Reads ../shared/data/security/dev.jsonl (or $SECURESPHERE_INJECTION_DATA), picks the
// threshold by grouped cross-validation, trains on every row and writes model.json beside
// this file. Deterministic: rerunning on the same data rewrites identical bytes.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename } from 'node:path';
import { defaultDatasetPath, loadDataset } from './dataset.js';
import { buildModelFile, trainWithCrossValidatedThreshold } from './training.js';

const datasetPath = defaultDatasetPath();
const rows = loadDataset(datasetPath);
const started = Date.now();
const result = trainWithCrossValidatedThreshold(rows);
const file = buildModelFile(rows, result, `shared/data/security/${basename(datasetPath)}`);
const target = fileURLToPath(new URL('./model.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(file, null, 1)}\n`);
const cv = file.crossValidation;
console.log(
  `trained on ${rows.length} rows in ${Date.now() - started} ms; threshold ${cv.threshold.toFixed(4)}; ` +
    `cross-validated TPR ${(cv.tpr * 100).toFixed(1)}% at FPR ${(cv.fpr * 100).toFixed(2)}% ` +
    `(notinject FPR ${(cv.notInjectFpr * 100).toFixed(1)}%); wrote ${target}`,
);
