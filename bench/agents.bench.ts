// Agent benchmarks on the real engine: cold start (runsc vs runc), warm-pool claim, helper
// round trip, exec of a small binary and of `node -e 0`, PSS per idle agent, and start
// latency with 10/50/100 agents started at once. Prints numbers; never fails on a timing.
// Targets (2 cores): cold p50 <= 200 ms runsc, claim <= 5 ms, round trip <= 1 ms, idle <= 20 MiB.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { type AgentSubsystem, createAgentManager } from '../src/agents/create-agent-manager.js';
import { RCU_EXPEDITED_PATH, readHostTuning } from '../src/agents/host-tuning.js';
import { RUNSC_MIN_PIDS } from '../src/agents/limits.js';
import type { QuotaMode } from '../src/agents/workspace.js';
import { configSchema } from '../src/config/schema.js';
import { type Db, openDatabase } from '../src/store/database.js';

const IMAGE = process.env.SECURESPHERE_IMAGE ?? 'securesphere-agent:latest';
const quick = process.env.BENCH_QUICK === '1';

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const f = (ms: number, unit = 'ms'): string => (unit === 'MiB' ? ms.toFixed(1) : ms < 10 ? ms.toFixed(2) : ms.toFixed(0));
const line = (label: string, xs: number[], unit = 'ms'): void =>
  console.log(`${label.padEnd(44)} p50 ${f(pct(xs, 50), unit).padStart(7)} ${unit}   p90 ${f(pct(xs, 90), unit).padStart(7)} ${unit}   (n=${xs.length})`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Env {
  sub: AgentSubsystem;
  db: Db;
  dir: string;
  close(): Promise<void>;
}

async function env(runtime: string, sandbox: Record<string, unknown>, quota: QuotaMode = 'loop'): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'securesphere-bench-'));
  const db = openDatabase(dir);
  const config = configSchema.parse({ sandbox: { image: IMAGE, warm_pool: 0, max_agents: 500, ...sandbox } }).sandbox;
  const sub = await createAgentManager({ db, config, dataDir: dir, forceRuntime: runtime, workspaceQuota: quota });
  return {
    sub,
    db,
    dir,
    async close() {
      await sub.manager.close({ stopAgents: true });
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function coldStarts(runtime: string, n: number, quota: QuotaMode = 'loop'): Promise<number[]> {
  const e = await env(runtime, {}, quota);
  const times: number[] = [];
  try {
    await e.sub.manager.ensure('warmup');
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const a = await e.sub.manager.ensure(`cold-${i}`);
      times.push(performance.now() - t);
      await e.sub.manager.stop(a.id, true);
    }
  } finally {
    await e.close();
  }
  return times;
}

const byKind = new Map<string, number[]>();

/** Private memory (Private_Clean + Private_Dirty) of the processes: what one more agent really adds. */
function uss(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      kb += Number(/^Private_Clean:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) + Number(/^Private_Dirty:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
    } catch {
      /* exited */
    }
  }
  return kb / 1024;
}

async function pss(pids: number[]): Promise<number> {
  let kb = 0;
  const kinds = new Map<string, number>();
  for (const pid of pids) {
    try {
      const k = Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
      const kind = /shim/.test(cmd) ? 'containerd-shim' : /runsc-gofer/.test(cmd) ? 'runsc-gofer' : /runsc-sandbox/.test(cmd) ? 'runsc-sandbox (sentry)' : cmd === '' ? 'gVisor stub (guest memory)' : 'helper';
      kinds.set(kind, (kinds.get(kind) ?? 0) + k);
      kb += k;
    } catch {
      /* exited */
    }
  }
  for (const [kind, k] of kinds) byKind.set(kind, [...(byKind.get(kind) ?? []), k / 1024]);
  return kb / 1024;
}

async function execAndMemory(runtime: string): Promise<void> {
  const e = await env(runtime, {});
  try {
    const agent = await e.sub.manager.ensure('exec-bench');
    const rt: number[] = [];
    for (let i = 0; i < (quick ? 50 : 300); i++) {
      const t = performance.now();
      await agent.instance.ping(5_000);
      rt.push(performance.now() - t);
    }
    line(`helper round trip (${runtime})`, rt);
    const h = e.sub.manager.agentFor('exec-bench');
    for (const [label, argv] of [['exec /bin/true', ['/bin/true']], ['exec node -e 0', ['node', '-e', '0']]] as const) {
      const xs: number[] = [];
      for (let i = 0; i < (quick ? 5 : 20); i++) {
        const t = performance.now();
        const r = await h.exec({ argv: [...argv] });
        if (r.exitCode !== 0) throw new Error(`${label} failed: ${r.stderr}`);
        xs.push(performance.now() - t);
      }
      line(`${label} (${runtime})`, xs);
    }
    const idle: AgentSubsystem['manager'] extends { ensure(id: string): Promise<infer A> } ? A[] : never = [];
    for (let i = 0; i < 5; i++) idle.push(await e.sub.manager.ensure(`idle-${i}`));
    await sleep(2_000);
    const per: number[] = [];
    const priv: number[] = [];
    for (const a of idle) {
      const pids = await a.instance.hostPids();
      per.push(await pss(pids));
      priv.push(uss(pids));
    }
    line(`PSS per idle agent (${runtime}; shim+sandbox+helper)`, per, 'MiB');
    line(`private memory (USS) per idle agent (${runtime})`, priv, 'MiB');
    console.log(`  of which: ${[...byKind].map(([k, v]) => `${k} ${pct(v, 50).toFixed(1)}`).join(', ')} MiB`);
    byKind.clear();
    // Shared pages (the runsc and shim binaries) are split between agents in PSS: one agent
    // alone carries all of them, so show that case too.
    for (const a of [...idle.slice(1), agent]) await e.sub.manager.stop(a.id, true);
    await sleep(1_000);
    const alone = await pss(await idle[0]!.instance.hostPids());
    console.log(`${`PSS of one idle agent alone (${runtime})`.padEnd(44)}     ${alone.toFixed(1)} MiB`);
    byKind.clear();
  } finally {
    await e.close();
  }
}

async function warmClaims(n: number): Promise<void> {
  const e = await env('runsc', { warm_pool: 1 });
  const xs: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = Date.now();
      while (e.sub.manager.poolSize() < 1) {
        if (Date.now() - t0 > 30_000) throw new Error('pool did not refill');
        await sleep(20);
      }
      const t = performance.now();
      await e.sub.manager.ensure(`claim-${i}`);
      xs.push(performance.now() - t);
    }
    line('warm-pool claim (runsc, loop-mounted workspace)', xs);
  } finally {
    await e.close();
  }
}

async function concurrent(n: number): Promise<void> {
  const e = await env('runsc', { limits: { memory_mb: 128 } }, 'plain');
  try {
    const t0 = performance.now();
    const xs = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const t = performance.now();
        await e.sub.manager.ensure(`conc-${n}-${i}`);
        return performance.now() - t;
      }),
    );
    const wall = performance.now() - t0;
    console.log(`${`${n} agents started at once (runsc)`.padEnd(44)} p50 ${f(pct(xs, 50)).padStart(7)} ms   p90 ${f(pct(xs, 90)).padStart(7)} ms   wall ${f(wall)} ms   ${(wall / n).toFixed(0)} ms/agent`);
  } finally {
    await e.close();
  }
}

/**
 * Where a cold start goes: the engine's create and start (with the runtime's own boot), then
 * the helper's first answer. The same container with `cat` as its main process (echoes the ping
 * line at once) shows what any main process would cost, so the helper's own start-up is the
 * difference between the two "first answer" figures.
 */
async function startPhases(docker: Docker, runtime: string, n: number): Promise<void> {
  for (const [label, entrypoint] of [['helper', undefined], ['cat', ['cat']]] as const) {
    const create: number[] = [];
    const start: number[] = [];
    const answer: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const c = await docker.createContainer({
        Image: IMAGE,
        ...(entrypoint ? { Entrypoint: [...entrypoint] } : {}),
        User: '1000:1000',
        OpenStdin: true,
        AttachStdin: true,
        AttachStdout: true,
        NetworkDisabled: true,
        Labels: { 'org.securesphere.bench': '1' },
        HostConfig: { Runtime: runtime, NetworkMode: 'none', ReadonlyRootfs: true, PidsLimit: RUNSC_MIN_PIDS, LogConfig: { Type: 'none', Config: {} } },
      });
      try {
        const stream = (await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream;
        const first = new Promise((r) => stream.once('data', r));
        const t1 = performance.now();
        await c.start();
        const t2 = performance.now();
        stream.write('{"id":"b","op":"ping"}\n');
        await first;
        const t3 = performance.now();
        create.push(t1 - t0);
        start.push(t2 - t1);
        answer.push(t3 - t2);
        stream.end();
      } finally {
        await c.remove({ force: true });
      }
    }
    console.log(
      `start phases (${runtime}, ${label} as main process): create p50 ${f(pct(create, 50))} ms, start p50 ${f(pct(start, 50))} ms, first answer after start p50 ${f(pct(answer, 50))} ms`,
    );
  }
}

/** Host tasks (the pids cgroup's count) per guest process: what hostTaskLimit() is sized from. */
async function hostTasksPerProcess(docker: Docker): Promise<void> {
  const c = await docker.createContainer({
    Image: IMAGE,
    Entrypoint: ['sh', '-c', 'for i in $(seq 30); do sleep 60 & done; sleep 60'],
    User: '1000:1000',
    NetworkDisabled: true,
    Labels: { 'org.securesphere.bench': '1' },
    HostConfig: { Runtime: 'runsc', NetworkMode: 'none', PidsLimit: 8192, LogConfig: { Type: 'none', Config: {} } },
  });
  try {
    const idle = await docker.createContainer({
      Image: IMAGE,
      Entrypoint: ['sleep', '60'],
      NetworkDisabled: true,
      Labels: { 'org.securesphere.bench': '1' },
      HostConfig: { Runtime: 'runsc', NetworkMode: 'none', PidsLimit: 8192, LogConfig: { Type: 'none', Config: {} } },
    });
    try {
      await Promise.all([c.start(), idle.start()]);
      await sleep(2_000);
      const tasks = (id: string): number => Number(readFileSync(`/sys/fs/cgroup/pids/docker/${id}/pids.current`, 'utf8'));
      const busy = tasks(c.id);
      const base = tasks(idle.id);
      console.log(`host tasks (runsc): ${base} with 1 guest process, ${busy} with 32: ${((busy - base) / 31).toFixed(1)} per extra guest process (hostTaskLimit allows 10)`);
    } finally {
      await idle.remove({ force: true });
    }
  } catch (err) {
    console.log(`(host tasks per guest process not measured: ${(err as Error).message})`);
  } finally {
    await c.remove({ force: true });
  }
}

async function main(): Promise<void> {
  const docker = new Docker();
  try {
    await docker.getImage(IMAGE).inspect();
  } catch {
    console.log(`skipped: Docker or the agent image ${IMAGE} is unavailable (run scripts/setup-sandbox.sh)`);
    return;
  }
  const runtimes = Object.keys(((await docker.info()) as { Runtimes?: Record<string, unknown> }).Runtimes ?? {});
  const n = quick ? 5 : 15;
  const cold: Record<string, number[]> = {};
  for (const rt of ['runsc', 'runc'].filter((r) => runtimes.includes(r))) {
    cold[rt] = await coldStarts(rt, n);
    line(`cold agent start (${rt}; create+attach+start+ping)`, cold[rt]!);
  }
  if (runtimes.includes('runsc')) line('cold agent start (runsc; plain workspace, no quota)', await coldStarts('runsc', n, 'plain'));
  if (cold.runsc && cold.runc) console.log(`ratio cold start runsc/runc p50: ${(pct(cold.runsc, 50) / pct(cold.runc, 50)).toFixed(2)}x`);
  for (const rt of ['runsc', 'runc'].filter((r) => runtimes.includes(r))) await startPhases(docker, rt, n);
  if (runtimes.includes('runsc')) await hostTasksPerProcess(docker);
  // The host setting scripts/setup-sandbox.sh makes: show what it is worth, then put it back.
  const tuning = readHostTuning();
  console.log(`host: ${RCU_EXPEDITED_PATH} = ${tuning.rcuExpedited === null ? 'absent' : tuning.rcuExpedited ? 1 : 0}`);
  if (runtimes.includes('runsc') && tuning.rcuExpedited !== null && cold.runsc) {
    const flipped = tuning.rcuExpedited ? '0' : '1';
    try {
      writeFileSync(RCU_EXPEDITED_PATH, flipped);
      const other = await coldStarts('runsc', n);
      line(`cold agent start (runsc) with rcu_expedited=${flipped}`, other);
      const [on, off] = tuning.rcuExpedited ? [cold.runsc, other] : [other, cold.runsc];
      console.log(`ratio cold start runsc rcu_expedited 0/1 p50: ${(pct(off, 50) / pct(on, 50)).toFixed(2)}x`);
    } catch (err) {
      console.log(`(could not flip ${RCU_EXPEDITED_PATH}: ${(err as Error).message})`);
    } finally {
      try {
        writeFileSync(RCU_EXPEDITED_PATH, tuning.rcuExpedited ? '1' : '0');
      } catch {
        /* not writable: never changed */
      }
    }
  }
  await warmClaims(quick ? 3 : 10);
  for (const rt of ['runsc', 'runc'].filter((r) => runtimes.includes(r))) await execAndMemory(rt);
  for (const c of quick ? [10] : [10, 50, 100]) await concurrent(c);
}

await main();
