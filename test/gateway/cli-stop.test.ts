// A clean stop of a real `securesphere start` process with a real sandbox: SIGTERM stops every
// agent the gateway started (none left running in Docker) and keeps the workspaces, which the
// next start uses again; with sandbox.keep_agents_on_stop the agents are left running. While it
// runs, everything the gateway wrote under its data directory is private (files 0600,
// directories 0700).
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Docker from 'dockerode';
import { afterAll, expect, it } from 'vitest';
import { projectLabelFor } from '../../src/agents/create-agent-manager.js';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama-server.js';
import { spawnCli, type CliProcess } from '../helpers/cli.js';
import { TEST_IMAGE, describeSandbox } from '../helpers/sandbox.js';

const TOKEN = 'cli-stop-token-0123456789';
const docker = new Docker();
const dirs: string[] = [];
const children: CliProcess[] = [];
let fake: FakeOllama | undefined;

afterAll(async () => {
  for (const child of children) {
    if (child.child.exitCode === null) child.child.kill('SIGKILL');
    await child.exited;
  }
  // Whatever a failed test left running is removed here, by this test's own project labels.
  for (const dir of dirs) {
    for (const c of await containersOf(dir, true)) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
  await fake?.close();
  // Workspaces of agents left running (keep_agents_on_stop) stay loop-mounted: unmount them.
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '');
  for (const m of mounts.filter((m) => dirs.some((d) => m.startsWith(`${d}/`)))) {
    try {
      execFileSync('umount', [m]);
    } catch {
      execFileSync('umount', ['-l', m]);
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function containersOf(dataDir: string, all = false) {
  return docker.listContainers({ all, filters: { label: [`org.securesphere.project=${projectLabelFor(dataDir)}`] } });
}

async function setup(sandbox: Record<string, unknown>): Promise<{ dataDir: string; env: Record<string, string> }> {
  fake ??= await startFakeOllama();
  const root = mkdtempSync(join(tmpdir(), 'securesphere-stop-'));
  dirs.push(root);
  const dataDir = join(root, 'data');
  dirs.push(dataDir);
  const configFile = join(root, 'config.yaml');
  const sandboxYaml = Object.entries({ image: TEST_IMAGE, warm_pool: 1, require_strong_isolation: true, ...sandbox }).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  writeFileSync(configFile, ['skills:', '  enabled: [filesystem]', 'sandbox:', ...sandboxYaml, ''].join('\n'));
  return { dataDir, env: { SECURESPHERE_API_TOKEN: TOKEN, OLLAMA_HOST: fake.url, SECURESPHERE_LOG_LEVEL: 'warn', SECURESPHERE_CONFIG: configFile } };
}

async function start(dataDir: string, env: Record<string, string>): Promise<{ p: CliProcess; url: string }> {
  const p = spawnCli(['start', '--data-dir', dataDir, '--port', '0'], env);
  children.push(p);
  const [, url] = await p.waitFor(/listening on (http:\/\/[^\s]+) /, 60_000);
  return { p, url: url! };
}

async function files(url: string, operation: 'write' | 'read', args: Record<string, string>): Promise<{ status: string; result?: { content?: string } }> {
  const res = await fetch(new URL('/api/actions', url), {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action_type: 'skill_execution', conversation_id: 'stop-conv', skill: 'filesystem', operation, arguments: args }),
  });
  return (await res.json()) as { status: string; result?: { content?: string } };
}

/**
 * Every path under the data dir whose mode is not private. Not looked into: workspaces (the
 * agent's own files). Allowed 0711 (enterable, not listable): the egress socket dir (the agent's
 * uid reaches its socket) and a workspace's own root (bubblewrap enters it as capability-less root).
 */
function loosePaths(dataDir: string): string[] {
  const loose: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(dataDir, path);
      const st = lstatSync(path);
      const mode = st.mode & 0o777;
      if (st.isDirectory()) {
        const workspaceRoot = /^workspaces\/(\.pool\/)?[^/]+$/.test(rel) && rel !== 'workspaces/.pool';
        const enterable = rel === 'run/egress' || workspaceRoot;
        if (mode !== 0o700 && !(enterable && mode === 0o711)) loose.push(`${rel}/ ${mode.toString(8)}`);
        if (!enterable) walk(path);
      } else if (st.isFile() && mode !== 0o600) loose.push(`${rel} ${mode.toString(8)}`);
    }
  };
  walk(dataDir);
  return loose;
}

await describeSandbox('securesphere start stopped with SIGTERM', () => {
  it('stops every agent it started, keeps the workspace for the next start; its data files are 0600 and directories 0700', async () => {
    const { dataDir, env } = await setup({});
    const first = await start(dataDir, env);
    expect(await files(first.url, 'write', { path: 'notes/kept.txt', content: 'still here' })).toMatchObject({ status: 'succeeded' });
    await expect.poll(async () => (await containersOf(dataDir)).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(2); // the conversation's agent and a warm one
    expect(loosePaths(dataDir)).toEqual([]);

    first.p.child.kill('SIGTERM');
    expect(await first.p.exited).toBe(0);
    expect(await containersOf(dataDir)).toEqual([]);

    const second = await start(dataDir, env);
    expect(await files(second.url, 'read', { path: 'notes/kept.txt' })).toMatchObject({ status: 'succeeded', result: { content: 'still here' } });
    expect(loosePaths(dataDir)).toEqual([]);
    second.p.child.kill('SIGTERM');
    expect(await second.p.exited).toBe(0);
    expect(await containersOf(dataDir)).toEqual([]);
  }, 240_000);

  it('leaves the conversation agents running with sandbox.keep_agents_on_stop: true', async () => {
    const { dataDir, env } = await setup({ keep_agents_on_stop: true, warm_pool: 0 });
    const first = await start(dataDir, env);
    expect(await files(first.url, 'write', { path: 'kept.txt', content: 'x' })).toMatchObject({ status: 'succeeded' });
    const running = await containersOf(dataDir);
    expect(running).toHaveLength(1);
    first.p.child.kill('SIGTERM');
    expect(await first.p.exited).toBe(0);
    expect((await containersOf(dataDir)).map((c) => c.Id)).toEqual(running.map((c) => c.Id));
  }, 240_000);
});
