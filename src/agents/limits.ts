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

/**
 * The container's pids cgroup counts HOST tasks. Under runsc (ptrace platform) every guest
 * process costs about eight host tasks (measured here: 43 idle, 375 with 30 sleeping processes,
 * 1842 with 120), so a guest limit of N processes needs ~10 N host tasks. The guest limit itself
 * is the helper's RLIMIT_NPROC: hitting it gives a clean "Cannot fork" instead of the whole
 * sandbox dying on the cgroup. Under runc, guest processes are host tasks (plus the helper).
 */
export function hostTaskLimit(runsc: boolean, guestPids: number): number {
  return runsc ? Math.max(RUNSC_MIN_PIDS, 128 + 10 * guestPids) : guestPids + 16;
}


/**
 * Where each limit is enforced. memoryMb, cpus, tmpfsMb and the pids ceiling belong to the
 * agent's container and are fixed when it starts: a call that needs more than its
 * conversation's agent has gets the agent recreated with enough (when no other call is running
 * in it; the workspace survives). Per call, the helper sets RLIMIT_NPROC to the call's pids and
 * RLIMIT_NOFILE to its nofile (never above the container's); timeoutMs and outputCapBytes are
 * per call too. workspaceMb is the conversation's workspace size, fixed when it is first made.
 */
export const AGENT_LEVEL_LIMITS = ['memoryMb', 'cpus', 'tmpfsMb', 'pids'] as const;

/** True when an agent started with `has` can serve a call that needs `need`. */
export function agentFits(has: SandboxLimits, need: SandboxLimits): boolean {
  return AGENT_LEVEL_LIMITS.every((k) => has[k] >= need[k]);
}

/** The agent-level limits as a container label value, so an agent adopted after a restart keeps them. */
export function agentLimitsLabel(limits: SandboxLimits): string {
  return JSON.stringify(Object.fromEntries(AGENT_LEVEL_LIMITS.map((k) => [k, limits[k]])));
}

/** Reads agentLimitsLabel() back; anything malformed is left out (the caller falls back to defaults). */
export function parseAgentLimitsLabel(text: string | undefined): Partial<SandboxLimits> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object') return undefined;
  const out: Partial<SandboxLimits> = {};
  for (const k of AGENT_LEVEL_LIMITS) {
    const v = Object.prototype.hasOwnProperty.call(raw, k) ? (raw as Record<string, unknown>)[k] : undefined;
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) out[k] = v;
  }
  return out;
}

/**
 * The limits to start an agent with: the call's, with each agent-level limit the larger of
 * what the agent had and what is needed (a recreated agent never shrinks).
 */
export function grownLimits(has: SandboxLimits, need: SandboxLimits): SandboxLimits {
  const out = { ...need };
  for (const k of AGENT_LEVEL_LIMITS) out[k] = Math.max(has[k], need[k]);
  return out;
}
