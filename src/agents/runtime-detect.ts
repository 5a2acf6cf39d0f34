// Runtime detection by doing, not by reading: every registered backend (backends/index.ts, in
// order of preference) probes this host by starting something real within a timeout, and the
// first that works is chosen. Today: gVisor (runsc) → Kata → runc → bubblewrap.
// Never starts an agent; probes clean up after themselves.
import { SANDBOX_BACKENDS } from './backends/index.js';
import type { BackendChoice, DetectOptions, IsolationStrength, RuntimeCandidate } from './backends/definition.js';

export type { DetectOptions, RuntimeCandidate } from './backends/definition.js';

export interface RuntimeDetection {
  chosen: BackendChoice | null;
  candidates: RuntimeCandidate[];
  imagePresent: boolean;
}

export async function detectRuntime(opts: DetectOptions): Promise<RuntimeDetection> {
  const candidates: RuntimeCandidate[] = [];
  let chosen: BackendChoice | null = null;
  let imagePresent = false;
  const refusal = (strength: IsolationStrength): string | null =>
    opts.requireStrong && strength === 'weak' ? 'refused: sandbox.require_strong_isolation is true and this shares the host kernel' : null;
  for (const definition of SANDBOX_BACKENDS) {
    const result = await definition.probe({ ...opts, chosen, refusal });
    candidates.push(...result.candidates);
    chosen ??= result.chosen;
    imagePresent ||= result.imagePresent === true;
  }
  return { chosen, candidates, imagePresent };
}
