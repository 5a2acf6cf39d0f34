// Containment, asserted from inside a real runsc agent: every escape attempt must fail and
// be reported correctly, and the gateway must keep serving another conversation meanwhile.
// Each restriction is checked against what src/agents/backends/docker/docker-backend.ts asks Docker for (the
// container's HostConfig) and from inside, with a probe only that restriction explains: a
// world-writable directory on the root filesystem (only a read-only root stops the write), the
// no_new_privs bit itself, more processes than the pids limit. The machine's runsc registration
// adds --network=none on its own, so a second agent under plain runc (where the kernel applies
// exactly what docker-backend.ts asked for, nothing more) shows the backend's own settings.
import Docker from 'dockerode';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { conversationKey } from '../../src/agents/agent-manager.js';
import { hostTaskLimit } from '../../src/agents/limits.js';
import { type TestAgents, createTestAgents, describeSandbox } from '../helpers/sandbox.js';

const docker = new Docker();
/** What docker-backend.ts created the conversation's container with. */
async function hostConfigOf(t: TestAgents, conversation: string): Promise<Docker.ContainerInspectInfo['HostConfig']> {
  const record = t.manager.list().find((r) => r.conversationId === conversation && r.state === 'running' && r.containerId);
  expect(record, `a running agent for ${conversation}`).toBeDefined();
  return (await docker.getContainer(record!.containerId!).inspect()).HostConfig;
}
// The no_new_privs bit as the process itself reads it (prctl PR_GET_NO_NEW_PRIVS = 39); gVisor
// does not show NoNewPrivs in /proc/self/status, but answers the prctl.
const NO_NEW_PRIVS_PROBE = 'import ctypes\nprint("NNP", ctypes.CDLL(None, use_errno=True).prctl(39, 0, 0, 0, 0))';
// A directory every user may write to, on the root filesystem: only a read-only root stops a write.
const WORLD_WRITABLE_ON_ROOT = '/var/tmp';

await describeSandbox('containment inside a runsc agent', () => {
  let t: TestAgents;
  let server: Server;
  let port = 0;
  let connections = 0;
  const A = 'containment-a';
  const B = 'containment-b';
  const run = (argv: string[], timeoutMs = 15_000, conversation = A) => t.manager.agentFor(conversation).exec({ argv, timeoutMs });
  const py = (code: string, timeoutMs = 15_000) => run(['python3', '-c', code], timeoutMs);

  beforeAll(async () => {
    t = await createTestAgents({ limits: { memory_mb: 128, tmpfs_mb: 16, workspace_mb: 16, pids: 256, timeout_ms: 15_000 } });
    server = createServer((s) => {
      connections += 1;
      s.end('host says hi');
    });
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    port = (server.address() as { port: number }).port;
    await Promise.all([run(['true']), run(['true'], 15_000, B)]);
  });
  afterAll(async () => {
    server?.close();
    await t?.close();
  });

  it('cannot read host files outside /workspace', async () => {
    const canary = join(t.dataDir, 'host-canary.txt');
    writeFileSync(canary, 'HOST-SECRET-CANARY');
    const r = await run(['sh', '-c', `cat ${canary} /etc/hostname 2>&1; ls /work /root 2>&1; cat /proc/1/root${canary} 2>&1; echo done`]);
    expect(r.stdout).toContain('done');
    expect(r.stdout).not.toContain('HOST-SECRET-CANARY');
    expect(r.stdout).toMatch(/No such file|Permission denied/);
  });

  it('has no network: not the host loopback, not the host address, no DNS', async () => {
    const addresses = ['127.0.0.1', ...Object.values(networkInterfaces()).flat().filter((i) => i && i.family === 'IPv4' && !i.internal).map((i) => i!.address)];
    for (const address of addresses) {
      const r = await py(`import socket\ns=socket.socket()\ns.settimeout(3)\ntry:\n  s.connect(("${address}", ${port})); print("CONNECTED", s.recv(100))\nexcept Exception as e:\n  print("BLOCKED", type(e).__name__)`);
      expect(r.stdout).toContain('BLOCKED');
    }
    const dns = await py('import socket\ntry:\n  print("RESOLVED", socket.gethostbyname("deb.debian.org"))\nexcept Exception as e:\n  print("BLOCKED", type(e).__name__)');
    expect(dns.stdout).toContain('BLOCKED');
    const ifaces = await run(['cat', '/proc/net/dev']);
    expect(ifaces.stdout).not.toMatch(/eth0|ens|docker/);
    expect(connections).toBe(0);
    // What docker-backend.ts asked for, whatever the runtime registration adds.
    expect((await hostConfigOf(t, A)).NetworkMode).toBe('none');
  });

  it('a CPU spin is killed at the timeout and reported as such', async () => {
    const r = await run(['sh', '-c', 'while :; do :; done'], 1_000);
    expect(r.limit).toBe('timeout');
    expect(r.signal).toBe('SIGKILL');
    expect(r.exitCode).toBeNull();
  });

  it('a program that escapes its call with setsid does not outlive the call or its timeout', async () => {
    const r = await run(['sh', '-c', "setsid bash -c 'exec -a escapee-spin bash -c \"while :; do :; done\"' & sleep 0.3; grep -aq '^escapee-spin' /proc/[0-9]*/cmdline 2>/dev/null && echo running; sleep 60"], 1_500);
    expect(r).toMatchObject({ limit: 'timeout', stdout: 'running\n' });
    const after = await run(['sh', '-c', "grep -aq '^escapee-spin' /proc/[0-9]*/cmdline 2>/dev/null && echo alive || echo gone"]);
    expect(after.stdout).toBe('gone\n');
  });

  it('cannot write to the root filesystem: "Read-only file system" even where permissions allow it', async () => {
    // The directory is world-writable: permissions would let the agent user write there.
    const mode = await run(['stat', '-c', '%a', WORLD_WRITABLE_ON_ROOT]);
    expect(mode.stdout).toBe('1777\n');
    const r = await run(['sh', '-c', `touch ${WORLD_WRITABLE_ON_ROOT}/x; echo end`]);
    expect(r.stderr).toContain(`touch: cannot touch '${WORLD_WRITABLE_ON_ROOT}/x': Read-only file system`);
    const others = await run(['sh', '-c', 'touch /usr/x; touch /etc/x; touch /opt/securesphere/x; echo end']);
    expect(others.stderr.split('\n').filter((l) => l.startsWith('touch: cannot touch'))).toHaveLength(3);
    const again = await run(['sh', '-c', `for f in ${WORLD_WRITABLE_ON_ROOT}/x /usr/x /etc/x /opt/securesphere/x; do test -e $f && echo "EXISTS $f"; done; echo checked`]);
    expect(again.stdout).toBe('checked\n');
    expect((await hostConfigOf(t, A)).ReadonlyRootfs).toBe(true);
  });

  it('cannot gain privileges: non-root, no capabilities, no-new-privileges, no setuid or chown', async () => {
    const status = await run(['cat', '/proc/self/status']);
    expect(status.stdout).toMatch(/^Uid:\s+1000\s+1000/m);
    expect(status.stdout).toMatch(/^CapEff:\s+0+$/m);
    expect(status.stdout).toMatch(/^CapPrm:\s+0+$/m);
    // An empty bounding set: no setuid binary can hand capabilities back.
    expect(status.stdout).toMatch(/^CapBnd:\s+0+$/m);
    // no-new-privileges, read by the process itself.
    expect((await py(NO_NEW_PRIVS_PROBE)).stdout).toBe('NNP 1\n');
    expect((await hostConfigOf(t, A)).SecurityOpt).toContain('no-new-privileges');
    const r = await py('import os\nopen("/workspace/mine","w").close()\nfor f in (lambda: os.setuid(0), lambda: os.setgid(0), lambda: os.chown("/workspace/mine", 0, 0), lambda: os.chmod("/workspace/mine", 0o4755) or os.chown("/workspace/mine",0,-1)):\n  try:\n    f(); print("ALLOWED")\n  except PermissionError:\n    print("DENIED")');
    expect(r.stdout.trim().split('\n')).toEqual(['DENIED', 'DENIED', 'DENIED', 'DENIED']);
    const su = await run(['sh', '-c', 'su -c id root </dev/null 2>&1; echo rc=$?']);
    expect(su.stdout).not.toMatch(/uid=0/);
  });

  it('/tmp is a sized tmpfs: filling it fails with no space', async () => {
    const r = await run(['sh', '-c', 'dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>&1; echo rc=$?; du -k /tmp/fill']);
    expect(r.stdout).toMatch(/No space left/);
    const kb = Number(/(\d+)\s+\/tmp\/fill/.exec(r.stdout)?.[1]);
    expect(kb).toBeLessThanOrEqual(16 * 1024);
    await run(['rm', '-f', '/tmp/fill']);
  });

  it('/workspace has a real size limit', async () => {
    expect(t.info().workspaceQuota, 'workspace quota needs root and /dev/loop-control (loop-mounted ext4 images)').toBe('loop');
    const r = await run(['sh', '-c', 'dd if=/dev/zero of=/workspace/fill bs=1M count=64 2>&1; echo rc=$?']);
    expect(r.stdout).toMatch(/No space left/);
    const host = join(t.dataDir, 'workspaces', conversationKey(A), 'fill');
    expect(existsSync(host)).toBe(true);
    expect(statSync(host).size).toBeLessThanOrEqual(16 * 1024 * 1024);
    await run(['rm', '-f', '/workspace/fill']);
  });

  it('two conversations never see each other\'s workspace', async () => {
    await run(['sh', '-c', 'echo A-PRIVATE > /workspace/a-secret']);
    const r = await run(['sh', '-c', 'ls -a /workspace; cat /workspace/a-secret 2>&1; cat ../*/a-secret 2>&1; echo end'], 15_000, B);
    expect(r.stdout).toContain('end');
    expect(r.stdout).not.toContain('A-PRIVATE');
    expect(r.stdout).not.toContain('a-secret\n');
  });

  it('a fork bomb hits the pids limit (fork fails, no timeout needed) and the gateway keeps serving another conversation', async () => {
    // A call's pids limit (32 here) is what it may run at once; 32 shells fit well in 128 MB.
    const bomb = t.manager
      .agentFor(A, { limits: { pids: 32 } })
      .exec({ argv: ['sh', '-c', 'b() { b | b & }; b; sleep 3; set -- /proc/[0-9]*; echo "procs=$#"'], timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 1_500));
    const other = await run(['echo', 'still here'], 15_000, B);
    expect(other.stdout).toBe('still here\n');
    const r = await bomb;
    expect(r.limit).toBeNull();
    expect(r.stderr).toMatch(/Cannot fork|Resource temporarily unavailable/);
    expect(Number(/procs=(\d+)/.exec(r.stdout)?.[1])).toBeLessThanOrEqual(32);
    const after = await run(['echo', 'alive'], 30_000);
    expect(after.stdout).toBe('alive\n');
    expect((await hostConfigOf(t, A)).PidsLimit).toBe(hostTaskLimit(true, 256));
  }, 90_000);

  it('allocating past the memory limit is stopped and reported', async () => {
    const r = await py('x = bytearray(512 * 1024 * 1024)\nx[::4096] = b"1" * len(x[::4096])\nprint("ALLOCATED")', 30_000);
    expect(r.stdout).not.toContain('ALLOCATED');
    expect(r.exitCode === 0).toBe(false);
    // Either the kernel/sentry killed it (reported as a limit) or Python got MemoryError.
    expect(r.limit !== null || /MemoryError/.test(r.stderr)).toBe(true);
    const other = await run(['echo', 'ok'], 15_000, B);
    expect(other.stdout).toBe('ok\n');
    const after = await run(['echo', 'recreated or alive'], 30_000);
    expect(after.exitCode).toBe(0);
  }, 90_000);
});

await describeSandbox('docker-backend restrictions under plain runc (the kernel applies exactly what the backend asked for)', () => {
  let t: TestAgents;
  const C = 'containment-runc';
  const PIDS = 48;
  const run = (argv: string[], timeoutMs = 15_000) => t.manager.agentFor(C).exec({ argv, timeoutMs });

  beforeAll(async () => {
    // Weak isolation on purpose, for this test only: runc adds no network or privilege rules of its own.
    t = await createTestAgents({ require_strong_isolation: false, limits: { memory_mb: 128, tmpfs_mb: 16, workspace_mb: 16, pids: PIDS, timeout_ms: 15_000 } }, { forceRuntime: 'runc' });
    await run(['true']);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('has no network interface but loopback, because NetworkMode is none', async () => {
    const config = await hostConfigOf(t, C);
    expect(config.Runtime).toBe('runc');
    expect(config.NetworkMode).toBe('none');
    const ifaces = await run(['sh', '-c', 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "']);
    expect(ifaces.stdout).toBe('lo\n');
  });

  it('the root filesystem is read-only and no_new_privs is set, as the kernel reports them', async () => {
    const r = await run(['sh', '-c', `touch ${WORLD_WRITABLE_ON_ROOT}/x; grep NoNewPrivs /proc/self/status`]);
    expect(r.stderr).toContain('Read-only file system');
    expect(r.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
  });

  it('the container\'s pids limit stops a call that sets no limit of its own', async () => {
    const limit = (await hostConfigOf(t, C)).PidsLimit!;
    expect(limit).toBe(hostTaskLimit(false, PIDS));
    // Straight to the agent, without the per-call RLIMIT_NPROC the manager adds: only the cgroup stops it.
    const agent = [...t.manager.live.values()].find((a) => a.conversationId === C)!;
    const spawn = `import subprocess\nps = []\ntry:\n  while len(ps) < ${limit * 2}:\n    ps.append(subprocess.Popen(["sleep", "5"]))\n  print("spawned", len(ps))\nexcept OSError as e:\n  print("refused after", len(ps), "errno", e.errno)`;
    const r = await agent.instance.exec({ argv: ['python3', '-c', spawn], cwd: '/workspace', env: {}, timeoutMs: 20_000, outputCapBytes: 65_536 });
    const refused = /refused after (\d+) errno 11/.exec(r.stdout);
    expect(refused, r.stdout + r.stderr).not.toBeNull();
    expect(Number(refused![1])).toBeLessThan(limit);
  });
});
