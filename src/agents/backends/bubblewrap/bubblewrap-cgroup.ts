// Memory, CPU and task limits for bubblewrap agents, through a cgroup per agent (bwrap itself
// has none). Needs root and a writable cgroup filesystem, v1 (one hierarchy per controller, as
// Docker's cgroupfs driver uses) or v2 (unified). Elsewhere createCgroupLimiter() returns null
// and health says the agent's memory and CPU are not limited.
//
// The agent is moved into its cgroup before bwrap starts: bwrap is launched through
// `sh -c 'echo $$ > .../cgroup.procs ...; exec bwrap ...'`, so every process of the agent is
// born inside it and nothing runs unlimited, even briefly.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostTaskLimit } from '../../limits.js';
import { ERROR_CODES, SecureSphereError } from '../../../core/errors.js';
import type { SandboxLimits } from '../../sandbox.js';

export interface AgentCgroup {
  /** The command that starts `argv` inside the cgroup. */
  wrap(argv: string[]): string[];
  /** Remove the cgroup once the agent is gone (retries while the kernel still counts tasks). */
  remove(): Promise<void>;
}

export interface CgroupLimiter {
  readonly version: 1 | 2;
  create(agentId: string, limits: SandboxLimits): AgentCgroup;
}

const GROUP = 'securesphere-agents';
const SAFE_ID = /^[A-Za-z0-9_-]{1,80}$/;

const write = (file: string, value: string): void => writeFileSync(file, value);

function wrapper(procsFiles: string[], argv: string[]): string[] {
  // Paths are ours (fixed root + a checked agent id), passed as positional parameters, never
  // spliced into the script.
  const script = `n=${procsFiles.length}; i=0; for f in "$@"; do [ "$i" -ge "$n" ] && break; echo $$ > "$f" || exit 125; i=$((i+1)); done; shift $n; exec "$@"`;
  return ['/bin/sh', '-c', script, 'sh', ...procsFiles, ...argv];
}

async function removeDirs(dirs: string[]): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    let left = 0;
    for (const dir of dirs) {
      if (!existsSync(dir)) continue;
      try {
        rmdirSync(dir);
      } catch {
        left += 1; // EBUSY: a task is still being torn down
      }
    }
    if (left === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function v1(root: string): CgroupLimiter | null {
  const controllers = { memory: join(root, 'memory'), cpu: join(root, 'cpu'), pids: join(root, 'pids') };
  if (!Object.values(controllers).every((d) => existsSync(join(d, 'cgroup.procs')))) return null;
  try {
    for (const d of Object.values(controllers)) mkdirSync(join(d, GROUP), { recursive: true });
  } catch {
    return null; // not root, or a read-only cgroup filesystem
  }
  return {
    version: 1,
    create(agentId, limits) {
      if (!SAFE_ID.test(agentId)) throw new SecureSphereError(ERROR_CODES.INTERNAL, 'unsafe agent id for a cgroup name; agent ids come from newId(), so this is a bug (report it).');
      const dirs = Object.values(controllers).map((d) => join(d, GROUP, agentId));
      for (const d of dirs) mkdirSync(d, { recursive: true });
      const [memory, cpu, pids] = dirs as [string, string, string];
      const bytes = String(limits.memoryMb * 1024 * 1024);
      write(join(memory, 'memory.limit_in_bytes'), bytes);
      // Memory plus swap equal to memory: no swapping past the limit (absent without swap accounting).
      if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) write(join(memory, 'memory.memsw.limit_in_bytes'), bytes);
      write(join(cpu, 'cpu.cfs_period_us'), '100000');
      write(join(cpu, 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round(limits.cpus * 100000))));
      write(join(pids, 'pids.max'), String(hostTaskLimit(false, limits.pids)));
      return { wrap: (argv) => wrapper(dirs.map((d) => join(d, 'cgroup.procs')), argv), remove: () => removeDirs(dirs) };
    },
  };
}

function v2(root: string): CgroupLimiter | null {
  let available: string[];
  try {
    available = readFileSync(join(root, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  } catch {
    return null;
  }
  if (!['memory', 'cpu', 'pids'].every((c) => available.includes(c))) return null;
  const parent = join(root, GROUP);
  try {
    mkdirSync(parent, { recursive: true });
    // Children of `parent` get the controllers only when its parent passes them down.
    write(join(root, 'cgroup.subtree_control'), '+memory +cpu +pids');
    write(join(parent, 'cgroup.subtree_control'), '+memory +cpu +pids');
  } catch {
    return null;
  }
  return {
    version: 2,
    create(agentId, limits) {
      if (!SAFE_ID.test(agentId)) throw new SecureSphereError(ERROR_CODES.INTERNAL, 'unsafe agent id for a cgroup name; agent ids come from newId(), so this is a bug (report it).');
      const dir = join(parent, agentId);
      mkdirSync(dir, { recursive: true });
      write(join(dir, 'memory.max'), String(limits.memoryMb * 1024 * 1024));
      if (existsSync(join(dir, 'memory.swap.max'))) write(join(dir, 'memory.swap.max'), '0');
      write(join(dir, 'cpu.max'), `${Math.max(1000, Math.round(limits.cpus * 100000))} 100000`);
      write(join(dir, 'pids.max'), String(hostTaskLimit(false, limits.pids)));
      return { wrap: (argv) => wrapper([join(dir, 'cgroup.procs')], argv), remove: () => removeDirs([dir]) };
    },
  };
}

/** A limiter for this host, or null when cgroups cannot be used (then agents run unlimited). */
export function createCgroupLimiter(root = '/sys/fs/cgroup'): CgroupLimiter | null {
  if (process.getuid?.() !== 0) return null;
  if (existsSync(join(root, 'cgroup.controllers'))) return v2(root);
  return v1(root);
}
