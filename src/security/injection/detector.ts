// The prompt-injection detector: normalization, rules and a small linear classifier, with the
// committed weights. No network, no state between scans; safe to share across conversations.
import modelJson from './model.json' with { type: 'json' };
import { decodeModelFile } from './model-file.js';
import type { LinearModel } from './model.js';
import { scoreText, DEFAULT_SCORING } from './scorer.js';
import { SecureSphereError, ERROR_CODES } from '../../core/errors.js';

export interface InjectionScan {
  /** Probability-like score in [0, 1]; higher means more likely an injection. */
  readonly score: number;
  readonly flagged: boolean;
  /** Named rule hits and evasion signals, plus `classifier` when the classifier alone crossed the threshold. */
  readonly reasons: string[];
}

export interface InjectionDetector {
  /** The threshold in use (configured, or the one chosen by cross-validation). */
  readonly threshold: number;
  scan(text: string): InjectionScan;
}

export interface InjectionDetectorOptions {
  /** Overrides the cross-validated threshold (config `security.injection.threshold`). */
  readonly threshold?: number;
}

let cached: { model: LinearModel; threshold: number } | undefined;

// The weights are immutable and large, so they are decoded once per process and shared.
function loadCommittedModel(): { model: LinearModel; threshold: number } {
  cached ??= decodeModelFile(modelJson);
  return cached;
}

/**
 * The threshold the committed model was shipped with (chosen by cross-validation and stored in
 * model.json). The only default: there is no second copy of the number in code or config.
 */
export function shippedThreshold(): number {
  return loadCommittedModel().threshold;
}

export function createInjectionDetector(options: InjectionDetectorOptions = {}): InjectionDetector {
  const { model } = loadCommittedModel();
  return createDetectorFromModel(model, options.threshold ?? shippedThreshold());
}

/**
 * The detector for config `security.injection`: its `threshold` when set, else the shipped
 * one. The gateway and the CLI both build their detector here.
 */
export function createInjectionDetectorFromConfig(settings: { readonly threshold?: number | undefined }): InjectionDetector {
  return createInjectionDetector(settings.threshold === undefined ? {} : { threshold: settings.threshold });
}

export function createDetectorFromModel(model: LinearModel, threshold: number): InjectionDetector {
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    throw new SecureSphereError(ERROR_CODES.CONFIG_INVALID, 'The injection threshold must be a number between 0 and 1.');
  }
  return {
    threshold,
    scan(text: string): InjectionScan {
      const { score, classifierScore, reasons } = scoreText(model, text, DEFAULT_SCORING);
      const flagged = score >= threshold;
      return { score, flagged, reasons: classifierScore >= threshold ? [...reasons, 'classifier'] : [...reasons] };
    },
  };
}
