// Agent lifecycle against the real engine with runsc: lazy creation with every restriction
// applied, graceful and forced stop, idle stop, LRU eviction at the cap, warm-pool claim,
// reconcile after the gateway was killed with agents running, orphan clean-up.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hostTaskLimit } from '../../src/agents/limits.js';
import { conversationKey } from '../../src/agents/agent-manager.js';
import { LABEL_AGENT, LABEL_PROJECT, createDockerBackend } from '../../src/agents/backends/docker/docker-backend.js';
import { dockerExec } from '../../src/agents/backends/docker/docker-exec.js';
import { removeStaleProbes } from '../../src/agents/backends/docker/detect.js';
import { projectLabelFor } from '../../src/agents/create-agent-manager.js';
import { AgentStore } from '../../src/store/agents.js';
import { TEST_IMAGE, type TestAgents, createTestAgents, describeSandbox } from '../helpers/sandbox.js';

const docker = new Docker();
const until = async (check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
};
const gone = async (id: string): Promise<boolean> => docker.getContainer(id).inspect().then(() => false, () => true);

await describeSandbox('agent lifecycle (runsc)', () => {
  let t: TestAgents;
  beforeAll(async () => {
    t = await createTestAgents({ warm_pool: 1, max_agents: 2, limits: { workspace_mb: 32 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates the agent lazily with every restriction, named without the hostile conversation id', async () => {
    const hostile = '../../etc/passwd; rm -rf / #';
    expect(t.manager.list().filter((a) => a.conversationId === hostile)).toHaveLength(0);
    const r = await t.manager.agentFor(hostile).exec({ argv: ['sh', '-c', 'echo hello > /workspace/f; cat /workspace/f'] });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'hello\n', limit: null, truncated: false });
    const row = t.manager.list().find((a) => a.conversationId === hostile)!;
    expect(row).toMatchObject({ state: 'running', backend: 'docker', runtime: 'runsc' });
    expect(row.startedAt).toBeGreaterThan(0);
    const info = await docker.getContainer(row.containerId!).inspect();
    expect(info.Name).toBe(`/securesphere-${row.id}`);
    expect(info.Config.Labels[LABEL_PROJECT]).toBe(projectLabelFor(t.dataDir));
    expect(info.Config.Labels[LABEL_AGENT]).toBe(row.id);
    expect(info.Config.User).toBe('1000:1000');
    const h = info.HostConfig;
    expect(h.Runtime).toBe('runsc');
    expect(h.NetworkMode).toBe('none');
    expect(h.ReadonlyRootfs).toBe(true);
    expect(h.CapDrop).toEqual(['ALL']);
    expect(h.SecurityOpt).toEqual(['no-new-privileges']);
    expect(h.Memory).toBe(t.config.limits.memory_mb * 1024 * 1024);
    expect(h.MemorySwap).toBe(h.Memory);
    expect(h.NanoCpus).toBe(t.config.limits.cpus * 1e9);
    // Host tasks: ~10 per guest process under runsc (the guest limit is the helper's RLIMIT_NPROC).
    expect(h.PidsLimit).toBe(hostTaskLimit(true, t.config.limits.pids));
    // The container holds the ceiling; each call gets its own nofile (see skill-limits.test.ts).
    expect(h.Ulimits).toEqual([{ Name: 'nofile', Soft: t.config.max_limits.nofile, Hard: t.config.max_limits.nofile }]);
    expect(h.Tmpfs?.['/tmp']).toContain(`size=${t.config.limits.tmpfs_mb}m`);
    expect(h.ShmSize).toBe(t.config.limits.tmpfs_mb * 1024 * 1024);
    expect(h.LogConfig?.Type).toBe('none'); // program output never lands in container logs on disk
    const mount = info.Mounts.find((m) => m.Destination === '/workspace')!;
    expect(mount.Source).toBe(join(t.dataDir, 'workspaces', conversationKey(hostile)));
    expect(readFileSync(join(mount.Source, 'f'), 'utf8')).toBe('hello\n');
  });

  it('the docker exec fallback has the same contract: exit code, timeout kill, capped output', async () => {
    const row = t.manager.list().find((a) => a.state === 'running' && a.conversationId !== null)!;
    const container = docker.getContainer(row.containerId!);
    const base = { cwd: '/workspace', env: { X: 'y' }, timeoutMs: 10_000, outputCapBytes: 100 };
    const ok = await dockerExec(docker, container, { ...base, argv: ['sh', '-c', 'cat; echo $X; id -u; exit 4'], stdin: 'in\n' });
    expect(ok).toMatchObject({ exitCode: 4, stdout: 'in\ny\n1000\n', limit: null, truncated: false });
    const spin = await dockerExec(docker, container, { ...base, argv: ['sh', '-c', 'while :; do :; done'], timeoutMs: 1_000 });
    expect(spin).toMatchObject({ exitCode: null, signal: 'SIGKILL', limit: 'timeout' });
    const big = await dockerExec(docker, container, { ...base, argv: ['sh', '-c', 'head -c 1000 /dev/zero | tr "\\0" z'] });
    expect(big.truncated).toBe(true);
    expect(big.stdout).toContain(`${'z'.repeat(100)}\n[securesphere: output truncated, 900 of 1000 bytes dropped]`);
    const limited = await dockerExec(docker, container, { ...base, argv: ['sh', '-c', 'ulimit -n'], rlimits: { nofile: 48, nproc: 64 } });
    expect(limited).toMatchObject({ exitCode: 0, stdout: '48\n' });
  });

  it('a new conversation claims the warm-pool agent and gets its own workspace', async () => {
    await until(() => t.manager.poolSize() === 1, 30_000);
    const pooled = t.manager.list().find((a) => a.conversationId === null && a.state === 'running')!;
    const r = await t.manager.agentFor('pool-user').exec({ argv: ['sh', '-c', 'echo from-pool > /workspace/pf'] });
    expect(r.exitCode).toBe(0);
    expect(t.manager.get(pooled.id)?.conversationId).toBe('pool-user');
    // The host-side re-mount of a claimed slot finishes in the background.
    await t.manager.deps.workspaces.settled(conversationKey('pool-user'));
    expect(readFileSync(join(t.dataDir, 'workspaces', conversationKey('pool-user'), 'pf'), 'utf8')).toBe('from-pool\n');
    expect(readdirSync(join(t.dataDir, 'workspaces', '.pool')).filter((n) => n.startsWith(pooled.id))).toEqual([]);
    await until(() => t.manager.poolSize() === 1, 30_000); // refilled in the background
  }, 90_000);

  it('evicts the least recently used agent at the cap', async () => {
    // max_agents is 2: the hostile-id agent and pool-user's are running; use pool-user most recently.
    const lru = t.manager.list().find((a) => a.conversationId?.startsWith('../') && a.state === 'running')!;
    await t.manager.agentFor('pool-user').exec({ argv: ['true'] });
    await t.manager.agentFor('third').exec({ argv: ['true'] });
    expect(t.manager.get(lru.id)?.state).toBe('stopped');
    expect(await gone(lru.containerId!)).toBe(true);
    const running = t.manager.list().filter((a) => a.state === 'running' && a.conversationId !== null).map((a) => a.conversationId).sort();
    expect(running).toEqual(['pool-user', 'third']);
  }, 90_000);

  it('stops gracefully (TERM) and by force (KILL), removes the container, keeps the workspace', async () => {
    const a = t.manager.list().find((r) => r.conversationId === 'third' && r.state === 'running')!;
    const graceful = await t.manager.stop(a.id, false);
    expect(graceful).toMatchObject({ state: 'stopped', exitCode: 143 });
    expect(graceful?.stoppedAt).toBeGreaterThan(0);
    expect(await gone(a.containerId!)).toBe(true);
    const b = t.manager.list().find((r) => r.conversationId === 'pool-user' && r.state === 'running')!;
    const forced = await t.manager.stop(b.id, true);
    expect(forced).toMatchObject({ state: 'stopped', exitCode: 137, error: 'stopped (forced)' });
    // The next call recreates an agent that sees the same workspace.
    const again = await t.manager.agentFor('pool-user').exec({ argv: ['cat', '/workspace/pf'] });
    expect(again.stdout).toBe('from-pool\n');
    expect(t.manager.list().find((r) => r.conversationId === 'pool-user' && r.state === 'running')?.id).not.toBe(b.id);
  }, 90_000);
});

await describeSandbox('idle stop, reconcile and orphans (runsc)', () => {
  it('plain workspaces (no loop mounts, e.g. non-root hosts): writable by the agent, claimable from the pool', async () => {
    const t = await createTestAgents({ warm_pool: 1 }, { workspaceQuota: 'plain' });
    try {
      expect(t.info().workspaceQuota).toBe('plain');
      expect((await t.manager.health()).detail).toContain('workspace quota: plain');
      await until(() => t.manager.poolSize() === 1, 30_000);
      const poolAgent = t.manager.list().find((a) => a.conversationId === null && a.state === 'running')!;
      const r = await t.manager.agentFor('plain-a').exec({ argv: ['sh', '-c', 'echo p > /workspace/x && cat /workspace/x'] });
      expect(r.stdout).toBe('p\n');
      expect(readFileSync(join(t.dataDir, 'workspaces', conversationKey('plain-a'), 'x'), 'utf8')).toBe('p\n');
      expect(t.manager.get(poolAgent.id)?.conversationId).toBe('plain-a'); // the pool agent was claimed
      expect(existsSync(join(t.dataDir, 'workspaces', '.pool', poolAgent.id))).toBe(false); // its slot was re-homed
    } finally {
      await t.close();
    }
  }, 60_000);

  it('stops an agent after the idle time', async () => {
    const t = await createTestAgents({ idle_stop_ms: 1000 });
    try {
      await t.manager.agentFor('idle').exec({ argv: ['true'] });
      const row = t.manager.list()[0]!;
      await until(() => t.manager.get(row.id)?.state === 'stopped', 20_000);
      expect(await gone(row.containerId!)).toBe(true);
    } finally {
      await t.close();
    }
  }, 60_000);

  it('after the gateway is killed: adopts its running agent, removes unknown labelled containers, marks vanished ones', async () => {
    const first = await createTestAgents({});
    const dataDir = first.dataDir;
    await first.manager.close({ stopAgents: true });
    first.db.close();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/agents/fixtures/hold-agent.ts', dataDir, 'survivor', TEST_IMAGE], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`hold-agent exited ${code}`)));
    });
    const held = JSON.parse(line) as { exitCode: number; agentId: string; containerId: string };
    expect(held.exitCode).toBe(0);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const stray = await docker.createContainer({ Image: TEST_IMAGE, Labels: { [LABEL_PROJECT]: projectLabelFor(dataDir), [LABEL_AGENT]: 'stray' }, HostConfig: { NetworkMode: 'none' } });
    const { openDatabase } = await import('../../src/store/database.js');
    const db = openDatabase(dataDir);
    new AgentStore(db).insert({ id: 'agt_vanished', conversationId: 'ghost', backend: 'docker', runtime: 'runsc', state: 'running' });
    db.close();

    const t = await createTestAgents({}, { dataDir });
    try {
      expect(t.reconciled?.adopted).toEqual([held.agentId]);
      // The adopted agent's limits come from its container's label, not from today's config.
      const l = t.config.limits;
      expect(l.memory_mb).not.toBe(320);
      expect(t.manager.live.get(held.agentId)!.limits).toEqual({ ...t.manager.deps.defaults, memoryMb: 320 });
      expect(t.reconciled?.removed).toContain(stray.id);
      expect(t.reconciled?.markedVanished).toContain('agt_vanished');
      expect(await gone(stray.id)).toBe(true);
      expect(t.manager.get('agt_vanished')).toMatchObject({ state: 'stopped', error: 'container vanished while the gateway was down' });
      const r = await t.manager.agentFor('survivor').exec({ argv: ['cat', '/workspace/p'] });
      expect(r.stdout).toBe('persisted\n');
      expect(t.manager.list().filter((a) => a.state === 'running').map((a) => a.id)).toEqual([held.agentId]);
    } finally {
      await t.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('a failed start is an error row with a clear message, leaves no mount, and the next call can succeed', async () => {
    const t = await createTestAgents({ image: 'securesphere-no-such-image:latest' }, { forceRuntime: 'runsc' });
    try {
      await expect(t.manager.agentFor('broken').exec({ argv: ['true'] })).rejects.toMatchObject({ code: 'SS_ERR_SANDBOX_UNAVAILABLE', message: expect.stringContaining('build-image') });
      expect(t.manager.list()[0]).toMatchObject({ conversationId: 'broken', state: 'error', error: expect.stringContaining('Cannot create the agent container') });
      const dir = join(t.dataDir, 'workspaces', conversationKey('broken'));
      await t.manager.deps.workspaces.settled(conversationKey('broken'));
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(dir);
      expect(t.manager.live.size).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('removes probe containers left by a process killed mid-probe, once they are stale', async () => {
    const left = await docker.createContainer({ Image: TEST_IMAGE, Entrypoint: ['/bin/true'], Labels: { 'org.securesphere.probe': '1' }, HostConfig: { NetworkMode: 'none' } });
    await removeStaleProbes(docker); // fresh: could be another process's live probe, kept
    expect(await gone(left.id)).toBe(false);
    await removeStaleProbes(docker, Date.now() + 10 * 60_000);
    expect(await gone(left.id)).toBe(true);
  });

  it('cleans up the orphan gVisor sandbox a failed start leaves behind', async () => {
    // runsc creates the sandbox, then fails to start the missing entrypoint; `docker rm` then
    // leaves the containerd shim and the runsc state behind (the same happens on a pids limit of 32).
    const c = await docker.createContainer({ Image: TEST_IMAGE, Entrypoint: ['/nonexistent'], Labels: { 'org.securesphere.probe': 'orphan-test' }, HostConfig: { Runtime: 'runsc', NetworkMode: 'none' } });
    await expect(c.start()).rejects.toThrow();
    await c.remove({ force: true });
    const shims = (): number =>
      readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`-id\0${c.id}`);
        } catch {
          return false;
        }
      }).length;
    const state = (): boolean => readdirSync('/run/docker/runtime-runc/moby').some((n) => n.startsWith(c.id));
    expect(shims() > 0 || state()).toBe(true);
    const backend = createDockerBackend({ docker, runtime: 'runsc', image: TEST_IMAGE, project: 'orphan-test', strength: 'strong' });
    const removed = await backend.cleanupOrphans();
    expect(removed).toContain(c.id);
    await until(() => shims() === 0 && !state(), 10_000);
    expect(existsSync(`/run/docker/runtime-runc/moby/${c.id}`)).toBe(false);
  }, 60_000);
});
