// Where the tests find the real in-process models (`securesphere model pull`, which the README's
// test set-up runs into ./data/models): the embedded chat model (SECURESPHERE_TEST_MODEL) and the
// injection detector's sentence encoder (SECURESPHERE_SENTENCE_MODEL). Missing, the tests that
// need one skip, except under REQUIRE_SANDBOX=1 (CI), where a missing model is a failure.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODEL_NAME, SENTENCE_MODEL_NAME, modelPath } from '../../src/models/model-store.js';

const PULLED = fileURLToPath(new URL('../../data', import.meta.url));

function pulledModel(name: string, envVariable: string, what: string): string | undefined {
  const file = process.env[envVariable] || modelPath(PULLED, name);
  if (existsSync(file)) return file;
  if (process.env.REQUIRE_SANDBOX === '1') {
    throw new Error(`The ${what} is missing (${file}): run \`bash scripts/setup.sh --test\`, which pulls it, or set ${envVariable}.`);
  }
  return undefined;
}

export function embeddedTestModel(): string | undefined {
  return pulledModel(DEFAULT_MODEL_NAME, 'SECURESPHERE_TEST_MODEL', 'embedded test model');
}

export function sentenceTestModel(): string | undefined {
  return pulledModel(SENTENCE_MODEL_NAME, 'SECURESPHERE_SENTENCE_MODEL', "detector's sentence model");
}
