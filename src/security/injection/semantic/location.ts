// Where the sentence encoder's file is: $SECURESPHERE_SENTENCE_MODEL, else the one
// `securesphere model pull minilm-l6-v2-int8` put under the data directory (scripts/setup.sh
// pulls it). Training, the bench and the tests look here; the gateway passes its own data_dir.
import { join } from 'node:path';
import { KNOWN_MODELS, SENTENCE_MODEL_NAME, modelPath } from '../../../models/model-store.js';

export const SENTENCE_MODEL = KNOWN_MODELS.find((m) => m.name === SENTENCE_MODEL_NAME)!;

export function sentenceModelPath(dataDir = 'data'): string {
  return process.env.SECURESPHERE_SENTENCE_MODEL || modelPath(dataDir, SENTENCE_MODEL_NAME);
}

/** The training and bench cache of embeddings (embed-rows.ts), per encoder file. */
export function embeddingCachePath(dataDir = 'data'): string {
  return join(dataDir, 'cache', `injection-embeddings-${SENTENCE_MODEL.sha256.slice(0, 12)}.bin`);
}
