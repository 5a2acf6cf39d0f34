// Host-side process bookkeeping for Docker agents. A failed runsc start (e.g. a pids limit
// too low) leaves a containerd shim and runsc state behind even after `docker rm -f`; we
// remove exactly those whose container id the engine no longer knows (never another live
// container, whoever owns it). Also finds an agent's host processes for memory accounting.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { describeError } from '../../../core/errors.js';
import { withTimeout } from '../../../core/with-timeout.js';
import type { AgentLogger } from '../../logger.js';

const run = promisify(execFile);
const RUNSC_ROOTS = ['/run/docker/runtime-runc/moby', '/run/docker/runtime-runsc/moby'];
const ID = /^[0-9a-f]{64}$/;

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.push({ pid: Number(name), ppid, cmdline });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Only a clear 404 counts as unknown. The engine blocks inspect of a container stuck mid-start
 *  (a hung runtime); that one is someone's live container, and must not block us either. */
async function known(docker: Docker, id: string): Promise<boolean> {
  try {
    await withTimeout(docker.getContainer(id).inspect(), 3_000, 'inspect');
    return true;
  } catch (err) {
    return (err as { statusCode?: number }).statusCode !== 404;
  }
}

export async function cleanupRunscOrphans(docker: Docker, log: AgentLogger): Promise<string[]> {
  const candidates = new Map<string, { shimPids: number[]; roots: string[] }>();
  const entry = (id: string): { shimPids: number[]; roots: string[] } => {
    let e = candidates.get(id);
    if (!e) candidates.set(id, (e = { shimPids: [], roots: [] }));
    return e;
  };
  for (const p of processes()) {
    const m = /containerd-shim\S* -namespace moby -id ([0-9a-f]{64})/.exec(p.cmdline);
    if (m?.[1]) entry(m[1]).shimPids.push(p.pid);
  }
  for (const root of RUNSC_ROOTS) {
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    for (const n of names) {
      const id = n.slice(0, 64);
      if (ID.test(id) && n.endsWith('.state')) entry(id).roots.push(root);
    }
  }
  const removed: string[] = [];
  for (const [id, e] of candidates) {
    if (await known(docker, id)) continue;
    for (const root of e.roots) {
      await run('runsc', ['--root', root, 'delete', '--force', id]).catch((err: unknown) =>
        log.debug({ id, err: describeError(err) }, 'runsc delete of orphan failed'),
      );
    }
    for (const pid of e.shimPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    removed.push(id);
    log.warn({ containerId: id, shims: e.shimPids.length, states: e.roots.length }, 'removed orphan gVisor sandbox');
  }
  return removed;
}

/** The agent's host processes: those naming the container id (shim, runsc sandbox/gofer) and their descendants. */
export async function hostPidsOf(docker: Docker, containerId: string): Promise<number[]> {
  const procs = processes();
  const roots = new Set(procs.filter((p) => p.cmdline.includes(containerId)).map((p) => p.pid));
  try {
    const info = await withTimeout(docker.getContainer(containerId).inspect(), 3_000, 'inspect');
    if (info.State?.Pid) roots.add(info.State.Pid);
  } catch {
    /* gone */
  }
  const result = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs) {
      if (!result.has(p.pid) && result.has(p.ppid)) {
        result.add(p.pid);
        grew = true;
      }
    }
  }
  return [...result];
}
