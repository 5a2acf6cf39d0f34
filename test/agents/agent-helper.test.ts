// The in-agent helper (the static C binary the image runs) and its client, run directly on the
// host (no sandbox needed): timeout kills the whole process group, output is capped with a
// marker, answers match requests, malformed or hostile requests are answered, not fatal,
// arbitrary output bytes come back as valid JSON. Plus limit clamping.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src/agents/helper-client.js';
import { helperBinary } from '../../src/agents/image/helper-binary.js';
import { agentLimitsLabel, parseAgentLimitsLabel, resolveLimits } from '../../src/agents/limits.js';

describe('agent helper over stdin/stdout', () => {
  let child: ChildProcess;
  let client: HelperClient;
  const exec = (argv: string[], extra: { timeoutMs?: number; outputCapBytes?: number; stdin?: string; env?: Record<string, string> } = {}) =>
    client.exec({ argv, cwd: '/tmp', env: extra.env ?? {}, stdin: extra.stdin, timeoutMs: extra.timeoutMs ?? 5_000, outputCapBytes: extra.outputCapBytes ?? 65_536 });

  beforeAll(async () => {
    child = spawn(await helperBinary(), [], { stdio: ['pipe', 'pipe', 'inherit'] });
    client = new HelperClient(child.stdin!, child.stdout!);
  }, 120_000);
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
    // bash: dash has no `exec -a`. The marked sleep is a descendant in the call's group.
    const r = await exec(['sh', '-c', `bash -c 'exec -a ${marker} sleep 60' & sleep 0.2; pgrep -f '^${marker}' >&2; sleep 60`], { timeoutMs: 600 });
    expect(r).toMatchObject({ exitCode: null, signal: 'SIGKILL', limit: 'timeout' });
    expect(r.stderr).toMatch(/^\d+\n$/); // it was running before the timeout
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
    await expect(client.request({ op: 'exec', argv: ['echo', 'a\u0000b'] }, 2_000)).rejects.toThrow(/NUL/);
    await expect(client.request({ op: 'frobnicate' }, 2_000)).rejects.toThrow(/unknown op/);
    expect((await client.ping(2_000)).pong).toBe(true);
  });

  it('survives random garbage, deep nesting and an oversized line, and still answers', async () => {
    const lines: string[] = ['{"op":"exec","id":"q","argv":["a"', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]', '{"a":"\\ud800"}', '{"id":{"x":1},"op":"ping"}', '"\\uZZZZ"', '1e99999', '{"id":"k","op":"exec","argv":["true"],"timeoutMs":-1,"outputCapBytes":"x","env":{"A=B":"1","":"2","C":3},"cwd":7}'];
    for (let i = 0; i < 200; i++) lines.push(randomBytes(1 + (i % 64)).toString('latin1').replace(/\n/g, ' '));
    lines.push(`{"op":"ping","pad":"${'x'.repeat(33 * 1024 * 1024)}"}`);
    child.stdin!.write(`${lines.join('\n')}\n`);
    expect((await client.ping(10_000)).pong).toBe(true);
    const r = await exec(['sh', '-c', 'echo ok']);
    expect(r.stdout).toBe('ok\n');
  });

  it('returns arbitrary output bytes as valid JSON text, with invalid UTF-8 replaced', async () => {
    const r = await exec(['sh', '-c', `printf 'caf\\303\\251 \\377\\376 \\000\\001"\\\\ \\342\\200\\250 \\360\\237\\230\\200'`]);
    expect(r.stdout).toBe('café \ufffd\ufffd \u0000\u0001"\\ \u2028 😀');
  });

  it('decodes JSON escapes in argv, stdin and env, and lets env override PATH for the program lookup', async () => {
    const r = await exec(['printf', '%s|%s', 'é\u00e9😀', '\t'], {});
    expect(r.stdout).toBe('éé😀|\t');
    const viaStdin = await exec(['cat'], { stdin: 'line1\nünïcode\n' });
    expect(viaStdin.stdout).toBe('line1\nünïcode\n');
    const noPath = await exec(['true'], { env: { PATH: '/nonexistent' } });
    expect(noPath.exitCode).toBe(127);
    const env = await exec(['sh', '-c', 'echo "$HOME|$X|$TMPDIR"'], { env: { HOME: '/elsewhere', X: 'y z' } });
    expect(env.stdout).toBe('/elsewhere|y z|/tmp\n');
  });

  it('lowers the open-files and process limits of one call, never raising them past its own', async () => {
    const req = (rlimits: Record<string, number>) => client.request({ op: 'exec', argv: ['sh', '-c', 'ulimit -n'], cwd: '/tmp', env: {}, timeoutMs: 5_000, outputCapBytes: 1000, rlimits }, 10_000) as Promise<{ stdout: string }>;
    expect((await req({ nofile: 33 })).stdout).toBe('33\n');
    const own = Number((await req({})).stdout);
    expect(own).toBeGreaterThan(33);
    expect(Number((await req({ nofile: own * 1000 })).stdout)).toBe(own);
    const procs = await client.request({ op: 'exec', argv: ['python3', '-c', 'import resource; print(resource.getrlimit(resource.RLIMIT_NPROC))'], cwd: '/tmp', env: {}, timeoutMs: 5_000, outputCapBytes: 1000, rlimits: { nproc: 4321 } }, 10_000) as { stdout: string };
    expect(procs.stdout).toBe('(4321, 4321)\n');
  });

  it('answers what review and fuzzing found: infinite ids, bad cwd, too many env entries', async () => {
    const lines: string[] = [];
    const seen = new Promise<void>((resolve) => {
      const onData = (c: Buffer) => {
        lines.push(...c.toString().split('\n').filter((l) => l.includes('"inf-id"') || l.startsWith('{"id":null,"result"')));
        if (lines.length > 0) {
          child.stdout!.off('data', onData);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
    });
    child.stdin!.write('{"id":1e400,"op":"ping","tag":"inf-id"}\n');
    await seen;
    expect(JSON.parse(lines[0]!)).toMatchObject({ id: null, result: { pong: true } }); // valid JSON, not "inf"
    const cwd = await client.request({ op: 'exec', argv: ['true'], cwd: '/nonexistent', env: {}, timeoutMs: 5_000, outputCapBytes: 1000 }, 10_000);
    expect(cwd).toMatchObject({ exitCode: 127, stderr: 'securesphere: cannot change directory to /nonexistent: ENOENT' });
    const env = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`K${i}`, 'v']));
    await expect(client.request({ op: 'exec', argv: ['true'], cwd: '/tmp', env, timeoutMs: 5_000, outputCapBytes: 1000 }, 10_000)).rejects.toThrow(/too many entries/);
  });

  it('survives running out of file descriptors and answers a last request that has no newline', async () => {
    // 10 concurrent programs need more descriptors than 20: the ones that cannot start are answered.
    const tight = spawn('prlimit', ['--nofile=20:20', '--', await helperBinary()], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    tight.stdout!.on('data', (c: Buffer) => out.push(c));
    const reqs = Array.from({ length: 10 }, (_, i) => JSON.stringify({ id: `j${i}`, op: 'exec', argv: ['sleep', '0.2'], cwd: '/tmp' }));
    tight.stdin!.end(`${reqs.join('\n')}\n{"id":"last","op":"ping"}`);
    const code = await new Promise<number | null>((r) => tight.on('exit', r));
    const answers = Buffer.concat(out).toString().trim().split('\n').map((l) => JSON.parse(l) as { id: string; result?: { exitCode: number; stderr: string } });
    expect(code).toBe(0);
    expect(answers.map((a) => a.id).sort()).toEqual([...reqs.map((_, i) => `j${i}`), 'last'].sort());
    expect(answers.some((a) => a.result?.exitCode === 0)).toBe(true);
    expect(answers.some((a) => /Too many open files/.test(a.result?.stderr ?? ''))).toBe(true);
  });

  it('reports a signal death by name and a program that ignores its input', async () => {
    const r = await exec(['sh', '-c', 'kill -TERM $$']);
    expect(r).toMatchObject({ exitCode: null, signal: 'SIGTERM', limit: null });
    const big = await exec(['true'], { stdin: 'x'.repeat(4 * 1024 * 1024) });
    expect(big.exitCode).toBe(0);
  });

  it('kills a program that floods its output far past the cap and says so', async () => {
    const r = await exec(['sh', '-c', 'yes'], { outputCapBytes: 1024, timeoutMs: 20_000 });
    expect(r.limit).toBe('output');
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBeLessThan(2_000);
  });

  it('answers without waiting for a program that escaped the group (setsid) and holds the pipes, then kills it', async () => {
    // If the helper waited for the pipes to close, this would only answer after 120 s and the
    // client (timeout + 5 s) would reject. The escapee must not outlive the call either.
    const marker = `escaped-${process.pid}-${Date.now()}`;
    try {
      const r = await exec(['sh', '-c', `setsid bash -c 'exec -a ${marker} sleep 120' & sleep 0.2; pgrep -f '^${marker}'`], { timeoutMs: 3_000 });
      expect(r).toMatchObject({ exitCode: 0, limit: null });
      expect(r.stdout).toMatch(/^\d+\n$/); // it was running during the call
      const after = await exec(['sh', '-c', `pgrep -f '^${marker}' || echo gone`]);
      expect(after.stdout).toBe('gone\n');
    } finally {
      spawn('pkill', ['-f', `^${marker}`]);
    }
  });

  it('keeps a server a running call started in a session of its own until that call ends', async () => {
    const marker = `server-${process.pid}-${Date.now()}`;
    // B finishes (and cleans up strays) while A, which started the server, still runs.
    const [r, other] = await Promise.all([
      exec(['sh', '-c', `setsid bash -c 'exec -a ${marker} sleep 30' & sleep 1; pgrep -f '^${marker}'`], { timeoutMs: 5_000 }),
      exec(['sh', '-c', 'sleep 0.4; echo b']),
    ]);
    expect(other.stdout).toBe('b\n');
    expect(r.stdout).toMatch(/^\d+\n$/);
    const after = await exec(['sh', '-c', `pgrep -f '^${marker}' || echo gone`]);
    expect(after.stdout).toBe('gone\n');
  });

  it('accepts an answer as long as the output caps of its request allow, escaped', async () => {
    // 1.5 MiB of NUL bytes escape to 9 MiB of JSON: more than the default bound, within the cap's.
    const r = await exec(['head', '-c', String(1536 * 1024), '/dev/zero'], { outputCapBytes: 2 * 1024 * 1024 });
    expect(r.stdout.length).toBe(1536 * 1024);
    expect(r.truncated).toBe(false);
  });
});

describe('helper client stream handling', () => {
  it('decodes a UTF-8 character split between two chunks, and a line split anywhere', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const client = new HelperClient(input, output);
    const answer = client.request({ op: 'ping' }, 2_000);
    const id = (JSON.parse((input.read() as Buffer).toString()) as { id: string }).id;
    const bytes = Buffer.from(`{"id":"${id}","result":{"text":"café 😀"}}\n`);
    const cut = bytes.indexOf(Buffer.from('é')) + 1; // inside the two bytes of é
    for (const part of [bytes.subarray(0, cut), bytes.subarray(cut, cut + 3), bytes.subarray(cut + 3)]) output.write(part);
    await expect(answer).resolves.toEqual({ text: 'café 😀' });
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

  it('round-trips the agent-level limits through a container label and ignores a malformed one', () => {
    const label = agentLimitsLabel({ ...defaults, memoryMb: 320, pids: 64 });
    expect(parseAgentLimitsLabel(label)).toEqual({ memoryMb: 320, cpus: 1, tmpfsMb: 64, pids: 64 });
    expect(parseAgentLimitsLabel('{"memoryMb":-1,"cpus":"2","__proto__":{"pids":9},"tmpfsMb":1e999}')).toEqual({});
    expect(parseAgentLimitsLabel('not json')).toBeUndefined();
    expect(parseAgentLimitsLabel(undefined)).toBeUndefined();
  });
});
