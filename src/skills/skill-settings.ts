// Reads operator settings for one skill (config skills.settings.<name>, passed as ctx.config).
// Settings come from the operator, but are still checked: a wrong type falls back to the
// default instead of disabling a limit.
import { getOwn } from '../core/own.js';

export function settingNumber(config: Readonly<Record<string, unknown>>, key: string, fallback: number, max?: number): number {
  const value = getOwn(config, key);
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return fallback;
  return max === undefined ? value : Math.min(value, max);
}

export function settingStrings(config: Readonly<Record<string, unknown>>, key: string): string[] | undefined {
  const value = getOwn(config, key);
  if (!Array.isArray(value)) return undefined;
  return value.filter((v): v is string => typeof v === 'string');
}

/** A model-requested timeout, clamped to the skill's configured maximum. */
export function clampTimeout(requested: number | undefined, config: Readonly<Record<string, unknown>>, fallback = 30_000): number {
  const max = settingNumber(config, 'max_timeout_ms', 120_000);
  const value = requested ?? settingNumber(config, 'timeout_ms', fallback);
  return Math.max(1, Math.min(value, max));
}
