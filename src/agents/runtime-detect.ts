// Runtime detection by doing, not by reading: each candidate must start a real probe container
// (or bubblewrap process) within a timeout. A registered runtime can hang (runsc with
// --platform=kvm does on these machines), so `docker info` alone proves nothing.
// Order: gVisor (runsc) → Kata → runc (weaker) → bubblewrap (weaker, no Docker needed).
import { spawn } from 'node:child_process';
import type Docker from 'dockerode';
import { ERROR_CODES, SecureSphereError, describeError } from '../core/errors.js';
import { withTimeout } from '../core/with-timeout.js';
import { RUNSC_MIN_PIDS } from './limits.js';

export type CandidateName = 'runsc' | 'kata' | 'runc' | 'bubblewrap';

export interface RuntimeCandidate {
  name: CandidateName;
  /** The Docker runtime name probed (null for bubblewrap). */
  runtime: string | null;
  strength: 'strong' | 'weak';
  status: 'found' | 'rejected' | 'absent' | 'not-probed';
  reason: string;
  probeMs?: number;
}

export interface RuntimeDetection {
  chosen: { backend: 'docker' | 'bubblewrap'; runtime: string | null; strength: 'strong' | 'weak' } | null;
  candidates: RuntimeCandidate[];
  imagePresent: boolean;
}

export interface DetectOptions {
  docker: Docker | null;
  image: string;
  timeoutMs: number;
  requireStrong: boolean;
  backend: 'auto' | 'docker' | 'bubblewrap';
  /** Probe every candidate instead of stopping at the first that works (for doctor). */
  probeAll?: boolean;
}

const PROBE_LABEL = 'org.securesphere.probe';
const STALE_PROBE_MS = 5 * 60_000;

const STRENGTH: Record<CandidateName, 'strong' | 'weak'> = { runsc: 'strong', kata: 'strong', runc: 'weak', bubblewrap: 'weak' };

async function probeDocker(docker: Docker, image: string, runtime: string, timeoutMs: number): Promise<void> {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['/bin/true'],
    Cmd: [],
    Labels: { [PROBE_LABEL]: '1' },
    NetworkDisabled: true,
    HostConfig: { Runtime: runtime, NetworkMode: 'none', PidsLimit: RUNSC_MIN_PIDS, AutoRemove: false },
  });
  const done = (async () => {
    await container.start();
    return (await container.wait()) as { StatusCode: number };
  })();
  try {
    // A registered runtime can hang (runsc --platform=kvm does here): the probe gives up in time.
    const result = await withTimeout(done, timeoutMs, 'the probe container (the runtime hangs?)');
    if (result.StatusCode !== 0) throw new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, `probe exited with code ${result.StatusCode}; check the runtime with \`docker run --runtime ${runtime} ${image} /bin/true\``);
  } finally {
    await container.remove({ force: true }).catch(() => {
      // Still starting (a hung runtime): remove once the start settles, in the background.
      void Promise.race([done, new Promise((r) => setTimeout(r, 60_000).unref())])
        .catch(() => undefined)
        .then(() => container.remove({ force: true }))
        .catch(() => undefined);
    });
  }
}

/** Probe containers left by a process killed mid-probe (older than any live probe can be). */
export async function removeStaleProbes(docker: Docker, now = Date.now()): Promise<number> {
  const found = await docker.listContainers({ all: true, filters: { label: [`${PROBE_LABEL}=1`] } });
  const stale = found.filter((c) => now - c.Created * 1000 > STALE_PROBE_MS);
  await Promise.all(stale.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  return stale.length;
}

export function probeBubblewrap(timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bwrap', ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', 'true'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new SecureSphereError(ERROR_CODES.TIMEOUT, `no answer within ${timeoutMs} ms; check that \`bwrap --unshare-all true\` runs on this host`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, `bwrap exited with code ${code}: ${err.trim().slice(0, 300)}`));
    });
  });
}

export async function detectRuntime(opts: DetectOptions): Promise<RuntimeDetection> {
  const candidates: RuntimeCandidate[] = [];
  let chosen: RuntimeDetection['chosen'] = null;
  let imagePresent = false;
  const add = (c: Omit<RuntimeCandidate, 'strength'>): RuntimeCandidate => {
    const full = { ...c, strength: STRENGTH[c.name] };
    candidates.push(full);
    return full;
  };
  const mayUse = (name: CandidateName): string | null =>
    opts.requireStrong && STRENGTH[name] === 'weak' ? 'refused: sandbox.require_strong_isolation is true and this shares the host kernel' : null;

  let runtimes: Record<string, { path?: string; runtimeArgs?: string[] }> = {};
  let dockerProblem: string | null = null;
  if (opts.backend === 'bubblewrap') dockerProblem = 'sandbox.backend is bubblewrap';
  else if (!opts.docker) dockerProblem = 'no Docker client';
  else {
    try {
      const info = (await opts.docker.info()) as { Runtimes?: typeof runtimes };
      runtimes = info.Runtimes ?? {};
      void removeStaleProbes(opts.docker).catch(() => undefined);
      try {
        await opts.docker.getImage(opts.image).inspect();
        imagePresent = true;
      } catch {
        dockerProblem = `image ${opts.image} is missing: run \`securesphere sandbox build-image\``;
      }
    } catch (err) {
      dockerProblem = `Docker engine unreachable: ${describeError(err)}`;
    }
  }

  const names = Object.keys(runtimes);
  const dockerCandidates: Array<{ name: CandidateName; runtime: string | undefined }> = [
    { name: 'runsc', runtime: names.find((n) => n === 'runsc') ?? names.find((n) => (runtimes[n]?.path ?? '').endsWith('runsc')) },
    { name: 'kata', runtime: names.find((n) => n.includes('kata') || (runtimes[n]?.path ?? '').includes('kata')) },
    { name: 'runc', runtime: names.find((n) => n === 'runc') },
  ];
  for (const { name, runtime } of dockerCandidates) {
    if (dockerProblem) {
      add({ name, runtime: runtime ?? null, status: 'absent', reason: dockerProblem });
      continue;
    }
    if (!runtime) {
      add({ name, runtime: null, status: 'absent', reason: 'not registered in the Docker engine' });
      continue;
    }
    const refused = mayUse(name);
    if (refused) {
      add({ name, runtime, status: 'rejected', reason: refused });
      continue;
    }
    if (chosen && !opts.probeAll) {
      add({ name, runtime, status: 'not-probed', reason: `${chosen.runtime} already chosen` });
      continue;
    }
    const args = runtimes[runtime]?.runtimeArgs ?? [];
    if (args.some((a) => /--platform[= ]kvm/.test(a))) {
      add({ name, runtime, status: 'rejected', reason: 'registered with --platform=kvm, which hangs on these hosts; use the default ptrace platform' });
      continue;
    }
    const started = performance.now();
    try {
      await probeDocker(opts.docker!, opts.image, runtime, opts.timeoutMs);
      // The http skill reaches the host egress proxy through a mounted Unix socket, which gVisor
      // only allows with host-UDS enabled; everything else works without it.
      const uds = name !== 'runsc' || args.some((a) => /^--?host-uds[= ](open|all)$/.test(a));
      const reason = uds ? 'probe container ran' : 'probe container ran; without runtimeArgs "--host-uds=open" the http skill cannot reach the egress proxy';
      add({ name, runtime, status: 'found', reason, probeMs: Math.round(performance.now() - started) });
      chosen ??= { backend: 'docker', runtime, strength: STRENGTH[name] };
    } catch (err) {
      const hint = name === 'runsc' && /network/i.test(describeError(err)) ? ' (register runsc with runtimeArgs ["--network=none"])' : '';
      add({ name, runtime, status: 'rejected', reason: `probe failed: ${describeError(err)}${hint}`, probeMs: Math.round(performance.now() - started) });
    }
  }

  const refused = mayUse('bubblewrap');
  if (opts.backend === 'docker') add({ name: 'bubblewrap', runtime: null, status: 'not-probed', reason: 'sandbox.backend is docker' });
  else if (refused) add({ name: 'bubblewrap', runtime: null, status: 'rejected', reason: refused });
  else if (chosen && !opts.probeAll) add({ name: 'bubblewrap', runtime: null, status: 'not-probed', reason: `${chosen.runtime} already chosen` });
  else {
    try {
      await probeBubblewrap(opts.timeoutMs);
      add({ name: 'bubblewrap', runtime: null, status: 'found', reason: 'bwrap ran (weaker: shares the host kernel)' });
      chosen ??= { backend: 'bubblewrap', runtime: null, strength: 'weak' };
    } catch (err) {
      add({ name: 'bubblewrap', runtime: null, status: 'rejected', reason: `bwrap failed: ${describeError(err)}` });
    }
  }
  return { chosen, candidates, imagePresent };
}
