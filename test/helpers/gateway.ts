// Starts a whole gateway for a test: a temp data dir, a real config file loaded by the real
// loader, the fake Ollama server on a real socket, and the HTTP API listening on port 0.
// Everything between the API and the fake model is the production object graph.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama-server.js';

export const FIXTURE_SKILLS_DIR = fileURLToPath(new URL('../fixtures/skills/', import.meta.url));
export const TEST_TOKEN = 'test-token-7f3a9c1e5b2d';

export interface TestGateway {
  gateway: Gateway;
  url: string;
  dataDir: string;
  fake: FakeOllama;
  logs: string[];
  /** Outbound messages delivered to channels, in order. */
  outbound: Array<{ channel: string; conversationId: string; text: string; approvalId?: string }>;
  api<T = any>(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: T }>;
  /** Closes the gateway (not the fake, not the data dir) and starts a new one on the same data. */
  restart(): Promise<TestGateway>;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  /** Raw config merged over the test defaults (as it would appear in the YAML file). */
  config?: Record<string, any>;
  fake?: FakeOllama;
  dataDir?: string;
  env?: Record<string, string>;
  gatewayOptions?: Partial<GatewayOptions>;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const fake = options.fake ?? (await startFakeOllama());
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'securesphere-test-'));
  const raw = merge(
    {
      data_dir: dataDir,
      server: { port: 0 },
      provider: { host: fake.url, model: 'llama3.1', timeout_ms: 10_000 },
      orchestrator: { max_tool_rounds: 4, turn_timeout_ms: 20_000 },
      skills: { extra_dirs: [FIXTURE_SKILLS_DIR], enabled: ['calc'] },
      logging: { level: 'info' },
      // Tests send bursts from one user; the rate-limit tests set their own limits.
      security: { rate_limits: { per_user_per_minute: 100_000, per_conversation_per_minute: 100_000, per_channel_per_minute: 100_000, llm_calls_per_minute: 100_000 } },
      sandbox: { warm_pool: 0 },
    },
    options.config ?? {},
  );
  const file = join(dataDir, 'securesphere.yaml');
  writeFileSync(file, stringify(raw));
  const env = { SECURESPHERE_API_TOKEN: TEST_TOKEN, ...(options.env ?? {}) };
  const { config } = loadConfig({ configPath: file, env });
  const logs: string[] = [];
  // The sandbox is probed on first use only, so tests that run no skill start no container.
  const gateway = await createGateway({ config, env, lazySandbox: true, logDestination: { write: (l: string) => logs.push(l) }, ...(options.gatewayOptions ?? {}) });
  const outbound: TestGateway['outbound'] = [];
  gateway.outbound.onMessage((m) => outbound.push({ channel: m.channel, conversationId: m.conversationId, text: m.text, ...(m.approval ? { approvalId: m.approval.approvalId } : {}) }));
  const url = await gateway.listen();

  const api: TestGateway['api'] = async (method, path, body, token = TEST_TOKEN) => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(new URL(path, url), { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // leave as text
    }
    return { status: res.status, body: parsed as any };
  };

  let closed = false;
  const self: TestGateway = {
    gateway,
    url,
    dataDir,
    fake,
    logs,
    outbound,
    api,
    async restart() {
      if (!closed) {
        closed = true;
        await gateway.close();
      }
      return startTestGateway({ ...options, fake, dataDir });
    },
    async close() {
      if (!closed) {
        closed = true;
        await gateway.close();
      }
      if (!options.fake) await fake.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return self;
}

function merge(base: Record<string, any>, over: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && base[k] && typeof base[k] === 'object' ? merge(base[k], v) : v;
  }
  return out;
}
