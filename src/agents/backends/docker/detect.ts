// Probing the Docker engine's runtimes by doing, not by reading: each must start a real probe
// container within a timeout. A registered runtime can hang (runsc with --platform=kvm does on
// these machines), so `docker info` alone proves nothing. Order: gVisor (runsc) → Kata → runc.
// Never leaves a probe container behind for long (removeStaleProbes sweeps a killed process's).
import type Docker from 'dockerode';
import { ERROR_CODES, SecureSphereError, describeError } from '../../../core/errors.js';
import { withTimeout } from '../../../core/with-timeout.js';
import { RUNSC_MIN_PIDS } from '../../limits.js';
import type { BackendChoice, BackendProbeContext, BackendProbeResult, IsolationStrength, RuntimeCandidate } from '../definition.js';

const PROBE_LABEL = 'org.securesphere.probe';
const STALE_PROBE_MS = 5 * 60_000;

type DockerCandidateName = 'runsc' | 'kata' | 'runc';
const STRENGTH: Record<DockerCandidateName, IsolationStrength> = { runsc: 'strong', kata: 'strong', runc: 'weak' };

/** Runtime names and arguments as `docker info` reports them. */
type EngineRuntimes = Record<string, { path?: string; runtimeArgs?: string[] }>;

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

/** The engine's runtimes and whether the image is there, or why Docker cannot be used at all. */
async function readEngine(ctx: BackendProbeContext): Promise<{ runtimes: EngineRuntimes; imagePresent: boolean; problem: string | null }> {
  if (ctx.backend !== 'auto' && ctx.backend !== 'docker') return { runtimes: {}, imagePresent: false, problem: `sandbox.backend is ${ctx.backend}` };
  if (!ctx.docker) return { runtimes: {}, imagePresent: false, problem: 'no Docker client' };
  let runtimes: EngineRuntimes;
  try {
    const info = (await ctx.docker.info()) as { Runtimes?: EngineRuntimes };
    runtimes = info.Runtimes ?? {};
  } catch (err) {
    return { runtimes: {}, imagePresent: false, problem: `Docker engine unreachable: ${describeError(err)}` };
  }
  void removeStaleProbes(ctx.docker).catch(() => undefined);
  try {
    await ctx.docker.getImage(ctx.image).inspect();
    return { runtimes, imagePresent: true, problem: null };
  } catch {
    return { runtimes, imagePresent: false, problem: `image ${ctx.image} is missing: run \`securesphere sandbox build-image\`` };
  }
}

export async function probeDockerRuntimes(ctx: BackendProbeContext): Promise<BackendProbeResult> {
  const candidates: RuntimeCandidate[] = [];
  let chosen: BackendChoice | null = ctx.chosen;
  let ownChoice: BackendChoice | null = null;
  const add = (c: Omit<RuntimeCandidate, 'strength'> & { name: DockerCandidateName }): void => {
    candidates.push({ ...c, strength: STRENGTH[c.name] });
  };
  const { runtimes, imagePresent, problem } = await readEngine(ctx);

  const names = Object.keys(runtimes);
  const dockerCandidates: Array<{ name: DockerCandidateName; runtime: string | undefined }> = [
    { name: 'runsc', runtime: names.find((n) => n === 'runsc') ?? names.find((n) => (runtimes[n]?.path ?? '').endsWith('runsc')) },
    { name: 'kata', runtime: names.find((n) => n.includes('kata') || (runtimes[n]?.path ?? '').includes('kata')) },
    { name: 'runc', runtime: names.find((n) => n === 'runc') },
  ];
  for (const { name, runtime } of dockerCandidates) {
    if (problem) {
      add({ name, runtime: runtime ?? null, status: 'absent', reason: problem });
      continue;
    }
    if (!runtime) {
      add({ name, runtime: null, status: 'absent', reason: 'not registered in the Docker engine' });
      continue;
    }
    const refused = ctx.refusal(STRENGTH[name]);
    if (refused) {
      add({ name, runtime, status: 'rejected', reason: refused });
      continue;
    }
    if (chosen && !ctx.probeAll) {
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
      await probeDocker(ctx.docker!, ctx.image, runtime, ctx.timeoutMs);
      // The http skill reaches the host egress proxy through a mounted Unix socket, which gVisor
      // only allows with host-UDS enabled; everything else works without it.
      const uds = name !== 'runsc' || args.some((a) => /^--?host-uds[= ](open|all)$/.test(a));
      const reason = uds ? 'probe container ran' : 'probe container ran; without runtimeArgs "--host-uds=open" the http skill cannot reach the egress proxy';
      add({ name, runtime, status: 'found', reason, probeMs: Math.round(performance.now() - started) });
      if (!chosen) {
        chosen = { backend: 'docker', runtime, strength: STRENGTH[name] };
        ownChoice = chosen;
      }
    } catch (err) {
      const hint = name === 'runsc' && /network/i.test(describeError(err)) ? ' (register runsc with runtimeArgs ["--network=none"])' : '';
      add({ name, runtime, status: 'rejected', reason: `probe failed: ${describeError(err)}${hint}`, probeMs: Math.round(performance.now() - started) });
    }
  }
  return { candidates, chosen: ownChoice, imagePresent };
}
