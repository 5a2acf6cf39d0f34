// The prompt-injection detector: normalization, rules and a small linear classifier with the
// committed weights (the first stage), and, for texts near the threshold, a sentence encoder
// whose embedding a second small classifier reads (semantic/). No network; nothing about one
// scan carries over to the next (the only state: the loaded encoder, shared per process, and
// whether it failed to load); safe to share across conversations.
import modelJson from './model.json' with { type: 'json' };
import { decodeModelFile, type ShippedSemanticStage } from './model-file.js';
import type { LinearModel } from './model.js';
import { classifierMargin, liftedScore, prepareText, DEFAULT_SCORING, type PreparedText } from './scorer.js';
import { createSentenceEncoder, type SentenceEncoder } from './semantic/encoder.js';
import { semanticLift } from './semantic/head.js';
import { SecureSphereError, ERROR_CODES, describeError } from '../../core/errors.js';

export interface InjectionScan {
  /** Probability-like score in [0, 1]; higher means more likely an injection. */
  readonly score: number;
  readonly flagged: boolean;
  /** Named rule hits and evasion signals, plus `classifier` when the classifier alone crossed the threshold. */
  readonly reasons: string[];
}

export interface InjectionDetector {
  /** The threshold `assess` uses (configured, or the one chosen by cross-validation for the stages it runs). */
  readonly threshold: number;
  /** Whether `assess` runs the second stage (the sentence encoder was given and has not failed to load). */
  readonly semantic: boolean;
  /**
   * Both stages: what the gateway uses for inbound messages and tool output. A promise only when
   * the encoder has to run (a chat-sized text near the threshold); otherwise the answer itself.
   */
  assess(text: string): InjectionScan | Promise<InjectionScan>;
  /** The first stage alone, at its own threshold: synchronous, for callers that cannot wait. */
  scan(text: string): InjectionScan;
}

export interface InjectionDetectorOptions {
  /** Overrides the cross-validated threshold (config `security.injection.threshold`). */
  readonly threshold?: number;
  /** The sentence encoder's file (semantic/location.ts); without it only the first stage runs. */
  readonly sentenceModelPath?: string;
  /** Told once when the encoder cannot be loaded and the detector falls back to the first stage. */
  readonly onFallback?: (message: string) => void;
}

interface CommittedModel {
  model: LinearModel;
  threshold: number;
  semantic?: ShippedSemanticStage;
}

let cached: CommittedModel | undefined;
// One encoder per file per process, like the weights: every detector (a gateway, a test's many
// gateways) shares it, and it is never loaded twice.
const encoders = new Map<string, Promise<SentenceEncoder>>();

function sharedEncoder(modelPath: string, sha256: string): Promise<SentenceEncoder> {
  let encoder = encoders.get(modelPath);
  if (!encoder) {
    encoder = createSentenceEncoder({ modelPath, sha256 });
    encoders.set(modelPath, encoder);
    // A failed load is not remembered: a later detector (after `model pull`) may try again.
    encoder.catch(() => encoders.delete(modelPath));
  }
  return encoder;
}

// The weights are immutable and large, so they are decoded once per process and shared.
function loadCommittedModel(): CommittedModel {
  cached ??= decodeModelFile(modelJson);
  return cached;
}

/**
 * The thresholds the committed model was shipped with (chosen by cross-validation and stored in
 * model.json): the first stage's alone, and both stages' together. The only defaults: there is
 * no second copy of either number in code or config.
 */
export function shippedThreshold(stages: 'first' | 'both' = 'first'): number {
  const committed = loadCommittedModel();
  return stages === 'both' && committed.semantic ? committed.semantic.threshold : committed.threshold;
}

export function createInjectionDetector(options: InjectionDetectorOptions = {}): InjectionDetector {
  return createDetectorFromModel(loadCommittedModel(), options);
}

/**
 * The detector for config `security.injection`: its `threshold` when set, else the shipped
 * one; the second stage when `semantic` is on and a sentence model path is given. The gateway
 * and the CLI both build their detector here.
 */
export function createInjectionDetectorFromConfig(
  settings: { readonly threshold?: number | undefined; readonly semantic?: boolean | undefined },
  runtime: { readonly sentenceModelPath?: string; readonly onFallback?: (message: string) => void } = {},
): InjectionDetector {
  return createInjectionDetector({
    ...(settings.threshold === undefined ? {} : { threshold: settings.threshold }),
    ...(settings.semantic !== false && runtime.sentenceModelPath ? { sentenceModelPath: runtime.sentenceModelPath } : {}),
    ...(runtime.onFallback ? { onFallback: runtime.onFallback } : {}),
  });
}

const logit = (p: number): number => Math.log(p / (1 - p));

export function createDetectorFromModel(committed: CommittedModel, options: InjectionDetectorOptions = {}): InjectionDetector {
  const check = (threshold: number): number => {
    if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
      throw new SecureSphereError(ERROR_CODES.CONFIG_INVALID, 'The injection threshold must be a number between 0 and 1.');
    }
    return threshold;
  };
  const { model } = committed;
  const stage = options.sentenceModelPath ? committed.semantic : undefined;
  const firstThreshold = check(options.threshold ?? committed.threshold);
  const bothThreshold = check(options.threshold ?? stage?.threshold ?? committed.threshold);
  let failed = false;

  const result = (prepared: PreparedText, logOdds: number, lift: number, threshold: number): InjectionScan => {
    const score = liftedScore(prepared, logOdds, lift);
    const fromClassifier = liftedScore({ floor: 0 }, logOdds, lift);
    return { score, flagged: score >= threshold, reasons: fromClassifier >= threshold ? [...prepared.reasons, 'classifier'] : [...prepared.reasons] };
  };

  const scan = (text: string): InjectionScan => {
    const prepared = prepareText(text, DEFAULT_SCORING);
    return result(prepared, classifierMargin(model, prepared), 0, firstThreshold);
  };

  return {
    get threshold() {
      return stage && !failed ? bothThreshold : firstThreshold;
    },
    get semantic() {
      return stage !== undefined && !failed;
    },
    scan,
    assess(text) {
      if (!stage || failed) return scan(text);
      const prepared = prepareText(text, DEFAULT_SCORING);
      const logOdds = classifierMargin(model, prepared);
      const distance = logOdds - logit(bothThreshold);
      // Documents are not embedded: they keep the first stage's verdict, their log-odds shifted
      // onto this threshold's scale. The lift is at most ±clip: outside that band around the
      // threshold, and for rule-floored texts, the encoder cannot change the verdict either.
      // Those answers are synchronous, so a caller that stores the message in the same tick
      // (the orchestrator) still does for nearly every text.
      if (prepared.document) return result(prepared, logOdds, stage.documentShift, bothThreshold);
      const floored = prepared.floor >= bothThreshold;
      if (floored || distance >= stage.head.clip || distance < -stage.head.clip) return result(prepared, logOdds, 0, bothThreshold);
      return sharedEncoder(options.sentenceModelPath!, stage.encoderSha256)
        .then((encoder) => encoder.embed([text]))
        .then(
          ([embedding]) => result(prepared, logOdds, semanticLift(stage.head, embedding!), bothThreshold),
          (err: unknown) => {
            failed = true;
            options.onFallback?.(`The injection detector's second stage is off (${describeError(err)}); scanning with the first stage at its own threshold ${firstThreshold}.`);
            return scan(text);
          },
        );
    },
  };
}
