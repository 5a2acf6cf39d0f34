// A real `securesphere start` child a test can kill (SIGKILL: no shutdown code runs) and start
// again on the same data directory, for the crash-and-restart tests. Every start shares one
// temp data dir, one config file (the fixture calc skill, no warm sandbox pool, plus the test's
// own lines), one API token and one fake Ollama. close() kills whatever is still running and
// removes the data dir; it never touches another test's processes or files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama-server.js';
import { spawnCli, type CliProcess } from './cli.js';
import { FIXTURE_SKILLS_DIR } from './gateway.js';

export interface KillableGatewayOptions {
  /** The API token every start is given (SECURESPHERE_API_TOKEN). */
  token: string;
  /** Prefix of the temp data dir's name. */
  tmpPrefix: string;
  /** More config.yaml lines, after the calc skill and the sandbox's warm_pool: 0. */
  config?: string[];
  /** More environment for every start (e.g. a channel's token the config refers to). */
  env?: Record<string, string>;
}

export interface GatewayRun {
  p: CliProcess;
  url: string;
}

export interface KillableGateway {
  fake: FakeOllama;
  dataDir: string;
  /** The environment every start gets (also right for the CLI's offline commands). */
  env: Record<string, string>;
  /** Starts `securesphere start` on port 0 and resolves once it listens. */
  start(): Promise<GatewayRun>;
  /** SIGKILL, then waits until the process is gone. */
  kill(run: GatewayRun): Promise<void>;
  /** One API request to a running start, with the token; the JSON body as it came. */
  api(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function openKillableGateway(options: KillableGatewayOptions): Promise<KillableGateway> {
  const fake = await startFakeOllama();
  const dataDir = mkdtempSync(join(tmpdir(), options.tmpPrefix));
  const configLines = ['skills:', `  extra_dirs: [${JSON.stringify(FIXTURE_SKILLS_DIR)}]`, '  enabled: [calc]', 'sandbox:', '  warm_pool: 0', ...(options.config ?? []), ''];
  writeFileSync(join(dataDir, 'config.yaml'), configLines.join('\n'));
  const env = { SECURESPHERE_API_TOKEN: options.token, OLLAMA_HOST: fake.url, SECURESPHERE_LOG_LEVEL: 'warn', SECURESPHERE_CONFIG: join(dataDir, 'config.yaml'), ...options.env };
  const children: CliProcess[] = [];

  return {
    fake,
    dataDir,
    env,
    async start() {
      const p = spawnCli(['start', '--data-dir', dataDir, '--port', '0'], env);
      children.push(p);
      const [, url] = await p.waitFor(/listening on (http:\/\/[^\s]+) /, 60_000);
      return { p, url: url! };
    },
    async kill(run) {
      run.p.child.kill('SIGKILL');
      await run.p.exited;
    },
    async api(url, method, path, body) {
      const res = await fetch(new URL(path, url), {
        method,
        headers: { authorization: `Bearer ${options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
    async close() {
      for (const child of children) {
        if (child.child.exitCode === null) child.child.kill('SIGKILL');
        await child.exited;
      }
      await fake.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
