// Runs every benchmark under bench/ (files named *.bench.ts), each in its own process so one
// benchmark's memory and timers do not disturb the next. Benchmarks print numbers and ratios;
// they never fail on a timing (these machines are noisy), only on a broken run.
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

// The benches' gateways run the injection detector as a set-up gateway does: with its sentence
// model (both stages) when it has been pulled into ./data/models.
const sentenceModel = fileURLToPath(new URL('../data/models/minilm-l6-v2-int8.onnx', import.meta.url));
const env = existsSync(sentenceModel) && !process.env.SECURESPHERE_SENTENCE_MODEL ? { ...process.env, SECURESPHERE_SENTENCE_MODEL: sentenceModel } : process.env;

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(dir, file)], { stdio: 'inherit', env });
  if (run.status !== 0) {
    failed += 1;
    console.log(`!!! ${file} exited with ${run.status ?? run.signal}`);
  }
}
console.log(`\n${files.length - failed} benchmarks ran, ${failed} failed`);
process.exit(failed ? 1 : 0);
