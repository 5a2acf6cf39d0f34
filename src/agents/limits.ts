// Effective limits for an agent or one execution: config defaults, overridden by what a skill
// asks for, clamped to the operator's maxima. A skill can never raise a limit past a maximum.
import type { LimitsConfig } from '../config/schema.js';
import type { SandboxLimits } from './sandbox.js';

export function fromConfig(limits: LimitsConfig): SandboxLimits {
  return {
    memoryMb: limits.memory_mb,
    cpus: limits.cpus,
    pids: limits.pids,
    nofile: limits.nofile,
    tmpfsMb: limits.tmpfs_mb,
    workspaceMb: limits.workspace_mb,
    timeoutMs: limits.timeout_ms,
    outputCapBytes: limits.output_cap_bytes,
  };
}

export function resolveLimits(defaults: SandboxLimits, maxima: SandboxLimits, requested?: Partial<SandboxLimits>): SandboxLimits {
  const out = { ...defaults };
  for (const key of Object.keys(out) as Array<keyof SandboxLimits>) {
    const want = requested && Object.prototype.hasOwnProperty.call(requested, key) ? requested[key] : undefined;
    const value = typeof want === 'number' && Number.isFinite(want) && want > 0 ? want : defaults[key];
    out[key] = Math.min(value, maxima[key]);
  }
  return out;
}

/** gVisor counts its own sandbox threads against the pids limit: below ~256 it fails to start or dies. */
export const RUNSC_MIN_PIDS = 256;
