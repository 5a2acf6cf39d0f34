// `securesphere start`: the generated API token (mode 0600, printed once), the refusal to
// bind a non-loopback address without a token, and the launcher choosing a supported Node.
import { existsSync, mkdtempSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFakeOllama } from '../fakes/ollama-server.js';
import { spawnCli } from '../helpers/cli.js';

const BIN = fileURLToPath(new URL('../../bin/securesphere.js', import.meta.url));

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'securesphere-start-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const env = { SECURESPHERE_API_TOKEN: '', SECURESPHERE_CONFIG: '', OLLAMA_HOST: 'http://127.0.0.1:9', SECURESPHERE_LOG_LEVEL: 'error' };

describe('securesphere start', () => {
  it('generates the API token once, mode 0600, and prints it only on the first start', async () => {
    const dataDir = tempDir();
    for (const round of [1, 2]) {
      const p = spawnCli(['start', '--data-dir', dataDir, '--port', '0'], env);
      await p.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
      p.child.kill('SIGTERM');
      await p.exited;
      const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
      expect(token.length).toBeGreaterThanOrEqual(32);
      expect(statSync(join(dataDir, 'api-token')).mode & 0o777).toBe(0o600);
      if (round === 1) expect(p.stdout()).toContain(token);
      else expect(p.stdout()).not.toContain(token);
    }
  }, 60_000);

  it('starts with the obsolete channels.cli.enabled and logs a warning naming the file and the key', async () => {
    const dir = tempDir();
    const file = join(dir, 'old.yaml');
    writeFileSync(file, 'channels:\n  cli:\n    enabled: true\n');
    const p = spawnCli(['start', '--config', file, '--data-dir', join(dir, 'data'), '--port', '0', '--log-format', 'json'], { ...env, SECURESPHERE_LOG_LEVEL: 'warn' });
    await p.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
    p.child.kill('SIGTERM');
    await p.exited;
    const warning = p
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { key?: string; config?: string; msg?: string })
      .find((entry) => entry.key === 'channels.cli.enabled');
    expect(warning).toMatchObject({ config: file, msg: expect.stringContaining('channels.cli.enabled is deprecated') as string });
  }, 60_000);

  it('an unhandled promise rejection (a library background task) is logged and the gateway keeps serving', async () => {
    const dir = tempDir();
    // Stands in for a library in the gateway process whose background promise fails unhandled.
    const hook = join(dir, 'reject-on-signal.mjs');
    writeFileSync(hook, "process.on('SIGUSR2', () => { Promise.reject(new Error('background task failed')); });\n");
    const p = spawnCli(['start', '--data-dir', join(dir, 'data'), '--port', '0', '--log-format', 'json'], { ...env, NODE_OPTIONS: `--import ${hook}` });
    const [, url] = (await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/)) as RegExpMatchArray;
    p.child.kill('SIGUSR2');
    await expect.poll(() => p.stderr()).toContain('unhandled promise rejection');
    expect(p.stderr()).toContain('background task failed');
    expect((await fetch(`${url}/api/health`)).status).toBeLessThan(500);
    expect(p.child.exitCode).toBeNull();
    p.child.kill('SIGTERM');
    await p.exited;
  }, 60_000);

  it('refuses to bind a non-loopback address without a token (all IPv4 and all IPv6 interfaces included)', async () => {
    // `::` is every interface (IPv6 and, dual-stack, IPv4): not loopback, although it looks like
    // `::1`; a DNS name that merely starts with "127." can resolve anywhere.
    for (const host of ['0.0.0.0', '::', '127.0.0.1.example.com']) {
      const dataDir = join(tempDir(), 'data');
      const p = spawnCli(['start', '--data-dir', dataDir, '--host', host, '--port', '0'], env);
      p.child.stdin.end();
      // Were it to start anyway, stop it at once rather than waiting for the test to time out.
      const outcome = await Promise.race([p.exited, p.waitFor(/listening on/, 50_000).then(() => 'listening', () => 'exited')]);
      if (outcome === 'listening') {
        p.child.kill('SIGTERM');
        await p.exited;
      }
      const res = { code: await p.exited, stderr: p.stderr() };
      expect(res.code, host).toBe(1);
      expect(res.stderr).toContain(`Refusing to bind ${host} without an API token: set SECURESPHERE_API_TOKEN`);
      // Refused before anything was created: no database, no generated token.
      expect(existsSync(dataDir)).toBe(false);
    }
  }, 60_000);
});

describe('./bin/securesphere.js (the README\'s first command)', () => {
  it('runs the gateway on Node.js >= 22 even when the first node on PATH is older, and completes a turn', async () => {
    const fake = await startFakeOllama();
    const dataDir = tempDir();
    // The system's node (Debian's Node 20 on CI machines) first on PATH, as in a fresh login shell.
    const child = spawn(BIN, ['start', '--data-dir', dataDir, '--port', '0', '--log-format', 'json'], {
      env: { ...process.env, ...env, OLLAMA_HOST: fake.url, SECURESPHERE_API_TOKEN: 'bin-test-token-0123456789', PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await expect.poll(() => out, { timeout: 30_000, interval: 50 }).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
      const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      const headers = { authorization: 'Bearer bin-test-token-0123456789', 'content-type': 'application/json' };
      const health = (await (await fetch(`${base}/api/health`, { headers })).json()) as { runtime: { node: { major: number; ok: boolean } } };
      expect(health.runtime.node.major).toBeGreaterThanOrEqual(22);
      expect(health.runtime.node.ok).toBe(true);
      const turn = await fetch(`${base}/api/messages`, { method: 'POST', headers, body: JSON.stringify({ conversation_id: 'bin-1', text: 'hello from the launcher' }) });
      expect(turn.status).toBe(200);
      expect(await turn.json()).toMatchObject({ status: 'completed', reply: { text: expect.stringContaining('hello from the launcher') } });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await fake.close();
    }
  }, 60_000);
});
