// The level an operation has for particular arguments: the manifest's declared level, raised
// (never lowered) by the manifest's classify hook. Policy then applies operator overrides,
// which still win, and the flagged-turn raise. Kept apart from the policy engine so the engine
// never runs skill code and the approval prompt can explain the same result.
import { SECURITY_LEVELS, type SecurityLevel } from '../core/types.js';
import { describeError } from '../core/errors.js';
import type { OperationManifest } from './skill.js';

export interface OperationLevel {
  level: SecurityLevel;
  /** Why it is above the declared level; undefined when it is the declared level. */
  reason?: string;
}

export function operationLevel(operation: OperationManifest, args: unknown, settings: Readonly<Record<string, unknown>>): OperationLevel {
  const declared = operation.level;
  if (!operation.classify) return { level: declared };
  let answer: ReturnType<NonNullable<OperationManifest['classify']>>;
  try {
    answer = operation.classify(args, settings);
  } catch (err) {
    // A classifier that fails cannot vouch for the arguments: treat them as the most powerful.
    return { level: 'critical', reason: `the skill's level classifier failed (${describeError(err).slice(0, 120)}), so the step is treated as critical` };
  }
  if (!answer || !SECURITY_LEVELS.includes(answer.level)) return { level: declared };
  if (SECURITY_LEVELS.indexOf(answer.level) <= SECURITY_LEVELS.indexOf(declared)) return { level: declared };
  return { level: answer.level, reason: String(answer.reason).slice(0, 300) };
}
