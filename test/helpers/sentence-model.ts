// Where the tests find the injection detector's sentence encoder: $SECURESPHERE_SENTENCE_MODEL,
// else the one the README's set-up pulls into ./data/models (`securesphere model pull
// minilm-l6-v2-int8`). Missing, the tests that need it skip, except under REQUIRE_SANDBOX=1
// (CI), where a missing model is a failure.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SENTENCE_MODEL_NAME } from '../../src/models/model-store.js';

const PULLED = fileURLToPath(new URL(`../../data/models/${SENTENCE_MODEL_NAME}.onnx`, import.meta.url));

export function sentenceTestModel(): string | undefined {
  const file = process.env.SECURESPHERE_SENTENCE_MODEL || PULLED;
  if (existsSync(file)) return file;
  if (process.env.REQUIRE_SANDBOX === '1') {
    throw new Error(`The detector's sentence model is missing (${file}): run \`bash scripts/setup.sh --test\`, which pulls it, or set SECURESPHERE_SENTENCE_MODEL.`);
  }
  return undefined;
}
