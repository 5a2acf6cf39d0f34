// The bubblewrap backend (hosts without Docker): same interface, weaker isolation, reported
// as such. Needs bwrap; skipped without it unless REQUIRE_SANDBOX=1.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentSubsystem, conversationKey, createAgentManager } from '../../src/agents/index.js';
import { configSchema } from '../../src/config/schema.js';
import { type Db, openDatabase } from '../../src/store/database.js';
import { X86_64_CLONE, X86_64_CLONE3, X86_64_DENIED } from '../../src/agents/backends/bubblewrap/seccomp-filter.js';
import { sandboxRequired } from '../helpers/sandbox.js';

const hasBwrap = spawnSync('bwrap', ['--version']).status === 0;

describe.skipIf(!hasBwrap && !sandboxRequired())('bubblewrap backend', () => {
  let sub: AgentSubsystem;
  let db: Db;
  let dir: string;
  let server: Server;
  let port = 0;
  let connections = 0;
  const run = (argv: string[], conversation = 'bw-a', timeoutMs = 10_000) => sub.manager.agentFor(conversation).exec({ argv, timeoutMs });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'securesphere-bwrap-'));
    db = openDatabase(dir);
    const config = configSchema.parse({ sandbox: { backend: 'bubblewrap', warm_pool: 0, limits: { workspace_mb: 16, tmpfs_mb: 8, memory_mb: 128 } } }).sandbox;
    sub = await createAgentManager({ db, config, dataDir: dir });
    server = createServer((s) => {
      connections += 1;
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server?.close();
    await sub?.manager.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is chosen and reported as weaker isolation', async () => {
    const health = await sub.manager.health();
    expect(health).toMatchObject({ ok: true, backend: 'bubblewrap', runtime: null });
    expect(health.detail).toMatch(/weaker isolation/);
    expect(sub.info().strength).toBe('weak');
  });

  it('runs as uid 1000 in /workspace, which is the conversation folder on the host', async () => {
    const r = await run(['sh', '-c', 'id -u; pwd; echo data > f']);
    expect(r).toMatchObject({ exitCode: 0, stdout: '1000\n/workspace\n' });
    expect(readFileSync(join(dir, 'workspaces', conversationKey('bw-a'), 'f'), 'utf8')).toBe('data\n');
  });

  it('cannot write the system, see the data dir or reach the network', async () => {
    writeFileSync(join(dir, 'canary'), 'BWRAP-CANARY');
    const r = await run(['sh', '-c', `touch /usr/x 2>&1; cat ${join(dir, 'canary')} 2>&1; ls /root /home 2>&1; echo end`]);
    expect(r.stdout).toContain('end');
    expect(r.stdout).toMatch(/Read-only file system/);
    expect(r.stdout).not.toContain('BWRAP-CANARY');
    const net = await run(['python3', '-c', `import socket\ns=socket.socket()\ns.settimeout(2)\ntry:\n  s.connect(("127.0.0.1", ${port})); print("CONNECTED")\nexcept Exception as e:\n  print("BLOCKED")`]);
    expect(net.stdout).toBe('BLOCKED\n');
    expect(connections).toBe(0);
  });

  it('runs the helper under the seccomp filter: every listed syscall refused, clone3 ENOSYS, x32 killed; normal work is not', async () => {
    expect((await sub.manager.health()).detail).toContain('seccomp filter on');
    // Every denied syscall, called with zero arguments (harmless even unfiltered: uid 1000, no capabilities).
    const probe = [
      'import ctypes, json, os, subprocess, sys',
      'libc = ctypes.CDLL(None, use_errno=True)',
      `for name, nr in json.loads(${JSON.stringify(JSON.stringify(X86_64_DENIED))}).items():`,
      '    r = libc.syscall(nr, 0, 0, 0, 0, 0, 0)',
      '    print(name, r, os.strerror(ctypes.get_errno()) if r < 0 else "ok")',
      `r = libc.syscall(${X86_64_CLONE3}, 0, 0)`,
      'print("clone3", r, os.strerror(ctypes.get_errno()))',
      `print("clone-newuser", libc.syscall(${X86_64_CLONE}, 0x10000000 | 17, 0, 0, 0, 0), os.strerror(ctypes.get_errno()))`,
      'x32 = subprocess.run([sys.executable, "-c", "import ctypes; ctypes.CDLL(None).syscall(0x40000000 | 39)"])',
      'print("x32", x32.returncode)',
      'print("getpid", libc.syscall(39) == os.getpid())',
    ].join('\n');
    const r = await run(['python3', '-c', probe]);
    const lines = r.stdout.split('\n');
    for (const name of Object.keys(X86_64_DENIED)) expect(lines).toContain(`${name} -1 Operation not permitted`);
    expect(r.stdout).toContain('clone3 -1 Function not implemented');
    expect(r.stdout).toContain('clone-newuser -1 Operation not permitted');
    expect(r.stdout).toContain('x32 -31'); // SIGSYS: the filter kills the process
    expect(r.stdout).toContain('getpid True');
    const userns = await run(['sh', '-c', 'unshare -U true 2>&1; echo "exit $?"; setarch x86_64 -R true 2>&1; echo "exit $?"; setarch x86_64 --uname-2.6 uname -r; node -e "console.log(require(\'os\').cpus().length > 0)"']);
    expect(userns.stdout).toMatch(/Operation not permitted\nexit 1\n/);
    expect(userns.stdout).toMatch(/setarch: failed to set personality.*\nexit 1\n2\.6\.\S+\ntrue\n$/);
  });

  it('limits memory through a cgroup per agent, removed when the agent stops', async () => {
    expect((await sub.manager.health()).detail).toMatch(/memory\/CPU\/tasks limited by cgroup v[12]/);
    const hog = await run(['python3', '-c', 'b = bytearray(400 << 20)\nb[::4096] = b"1" * len(b[::4096])\nprint("ALLOCATED")'], 'bw-mem', 20_000);
    expect(hog.stdout).not.toContain('ALLOCATED');
    expect(hog.signal === 'SIGKILL' || /MemoryError/.test(hog.stderr)).toBe(true);
    const agent = sub.manager.list().find((a) => a.conversationId === 'bw-mem' && a.state === 'running')!;
    const dirs = ['/sys/fs/cgroup/memory/securesphere-agents', '/sys/fs/cgroup/securesphere-agents'].map((d) => join(d, agent.id)).filter((d) => existsSync(d));
    expect(dirs).toHaveLength(1);
    const limit = readFileSync(join(dirs[0]!, existsSync(join(dirs[0]!, 'memory.max')) ? 'memory.max' : 'memory.limit_in_bytes'), 'utf8').trim();
    expect(Number(limit)).toBe(sub.info().limits.memory_mb * 1024 * 1024);
    await sub.manager.stop(agent.id, true);
    for (let i = 0; i < 40 && existsSync(dirs[0]!); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(dirs[0]!)).toBe(false);
  }, 60_000);

  it('kills a spin at the timeout and keeps conversations apart', async () => {
    const spin = await run(['sh', '-c', 'while :; do :; done'], 'bw-a', 500);
    expect(spin.limit).toBe('timeout');
    const other = await run(['sh', '-c', 'ls -a /workspace; cat f 2>&1 || true'], 'bw-b');
    expect(other.stdout).not.toContain('data');
  });
});
