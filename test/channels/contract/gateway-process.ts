// A real `securesphere start` child process for the channel contract suite: a config file with
// the channel's section, the fixture skills, the fake Ollama on a real socket. kill() is a real
// SIGKILL, so "the gateway was killed" means exactly that.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { FakeOllama } from '../../fakes/ollama-server.js';
import { spawnCli, type CliProcess } from '../../helpers/cli.js';
import { FIXTURE_SKILLS_DIR } from '../../helpers/gateway.js';

export const CONTRACT_TOKEN = 'contract-token-5e1d9a7c3b';

export interface GatewayProcess {
  url: string;
  token: string;
  /** Everything the process logged (stderr) so far, across restarts. */
  logs(): string;
  /** Everything the process printed on stdout so far, across restarts (the CLI's own lines only). */
  output(): string;
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** SIGKILL, no shutdown of any kind. */
  kill(): Promise<void>;
  /** SIGTERM: the gateway's own clean shutdown, waited for. */
  stop(): Promise<void>;
  /** Starts the gateway again on the same data dir and config. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startGatewayProcess(options: { dataDir: string; fake: FakeOllama; config: Record<string, unknown>; env?: Record<string, string> }): Promise<GatewayProcess> {
  const file = join(options.dataDir, 'contract.yaml');
  writeFileSync(
    file,
    stringify({
      data_dir: options.dataDir,
      provider: { host: options.fake.url, model: 'llama3.1', timeout_ms: 10_000 },
      skills: { extra_dirs: [FIXTURE_SKILLS_DIR], enabled: ['calc'] },
      sandbox: { warm_pool: 0 },
      logging: { level: 'info' },
      security: { rate_limits: { per_user_per_minute: 100_000, per_conversation_per_minute: 100_000, per_channel_per_minute: 100_000, llm_calls_per_minute: 100_000 } },
      ...options.config,
    }),
  );
  let logs = '';
  let output = '';
  let proc: CliProcess | undefined;
  /** Ends the running child with `signal` and keeps what it printed. */
  async function end(signal: NodeJS.Signals): Promise<void> {
    if (!proc) return;
    proc.child.kill(signal);
    await proc.exited;
    logs += proc.stderr();
    output += proc.stdout();
    proc = undefined;
  }
  const self: GatewayProcess = {
    url: '',
    token: CONTRACT_TOKEN,
    logs: () => logs + (proc?.stderr() ?? ''),
    output: () => output + (proc?.stdout() ?? ''),
    async api(method, path, body) {
      const res = await fetch(new URL(path, self.url), {
        method,
        headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any };
    },
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
    async restart() {
      await self.kill();
      proc = spawnCli(['start', '--config', file, '--port', '0'], { SECURESPHERE_API_TOKEN: CONTRACT_TOKEN, ...(options.env ?? {}) });
      const [, url] = await proc.waitFor(/listening on (http:\/\/[^\s]+) /, 60_000);
      self.url = url!;
    },
    close: () => self.kill(),
  };
  await self.restart();
  return self;
}
