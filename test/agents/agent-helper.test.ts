// The in-agent helper and its client, run directly on the host (no sandbox needed): timeout
// kills the whole process group, output is capped with a marker, answers match requests,
// malformed requests are answered, not fatal. Plus limit clamping.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src/agents/helper-client.js';
import { imageContextDir } from '../../src/agents/image/build-image.js';
import { resolveLimits } from '../../src/agents/limits.js';

describe('agent helper over stdin/stdout', () => {
  let child: ChildProcess;
  let client: HelperClient;
  const exec = (argv: string[], extra: { timeoutMs?: number; outputCapBytes?: number; stdin?: string; env?: Record<string, string> } = {}) =>
    client.exec({ argv, cwd: '/tmp', env: extra.env ?? {}, stdin: extra.stdin, timeoutMs: extra.timeoutMs ?? 5_000, outputCapBytes: extra.outputCapBytes ?? 65_536 });

  beforeAll(() => {
    child = spawn('python3', ['-S', '-I', join(imageContextDir(), 'agent-helper.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
    client = new HelperClient(child.stdin!, child.stdout!);
  });
  afterAll(() => {
    child.kill('SIGKILL');
  });

  it('runs argv without a shell, with stdin and env, and reports exit code and output', async () => {
    const r = await exec(['sh', '-c', 'read x; echo "$x $GREETING"; echo oops >&2; exit 7'], { stdin: 'hello\n', env: { GREETING: 'world' } });
    expect(r).toMatchObject({ exitCode: 7, signal: null, stdout: 'hello world\n', stderr: 'oops\n', truncated: false, limit: null });
    const literal = await exec(['echo', '$(id)', ';', 'rm']);
    expect(literal.stdout).toBe('$(id) ; rm\n');
  });

  it('kills the whole process group at the timeout and says so', async () => {
    const marker = `sleep-${process.pid}-${Date.now()}`;
    const r = await exec(['sh', '-c', `(exec -a ${marker} sleep 60) & sleep 60`], { timeoutMs: 300 });
    expect(r).toMatchObject({ exitCode: null, signal: 'SIGKILL', limit: 'timeout' });
    const left = await exec(['pgrep', '-f', `^${marker}`]);
    expect(left.exitCode).toBe(1); // pgrep: nothing matched
  });

  it('caps each stream and marks the cut', async () => {
    const r = await exec(['sh', '-c', 'head -c 5000 /dev/zero | tr "\\0" a; head -c 10 /dev/zero | tr "\\0" b >&2'], { outputCapBytes: 1000 });
    expect(r.truncated).toBe(true);
    expect(r.stdout.startsWith('a'.repeat(1000))).toBe(true);
    expect(r.stdout).toContain('[securesphere: output truncated, 4000 of 5000 bytes dropped]');
    expect(r.stderr).toBe('bbbbbbbbbb');
    expect(r.exitCode).toBe(0);
  });

  it('answers a missing program with 127 and keeps serving concurrent requests in order of completion', async () => {
    const [missing, slow, fast] = await Promise.all([exec(['/no/such/program']), exec(['sh', '-c', 'sleep 0.3; echo slow']), exec(['echo', 'fast'])]);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toMatch(/ENOENT/);
    expect(slow.stdout).toBe('slow\n');
    expect(fast.stdout).toBe('fast\n');
  });

  it('survives malformed requests', async () => {
    child.stdin!.write('not json\n{"op":"exec","id":"x1","argv":[1,2]}\n[]\n');
    await expect(client.request({ op: 'exec', argv: [] }, 2_000)).rejects.toThrow(/argv must be/);
    expect((await client.ping(2_000)).pong).toBe(true);
  });
});

describe('limit resolution', () => {
  const defaults = { memoryMb: 256, cpus: 1, pids: 256, nofile: 1024, tmpfsMb: 64, workspaceMb: 256, timeoutMs: 30_000, outputCapBytes: 65_536 };
  const maxima = { ...defaults, memoryMb: 1024, timeoutMs: 60_000 };
  it('lets a skill ask for more only up to the operator maxima, and ignores nonsense', () => {
    const r = resolveLimits(defaults, maxima, { memoryMb: 4096, timeoutMs: 45_000, pids: -5, cpus: Number.NaN });
    expect(r).toMatchObject({ memoryMb: 1024, timeoutMs: 45_000, pids: 256, cpus: 1 });
    expect(resolveLimits(defaults, maxima, JSON.parse('{"__proto__": {"memoryMb": 99999}}'))).toEqual(defaults);
  });
});
