// Skills: pure containment and tool lookup throughput; a filesystem read and a batched
// payload replay through a host stand-in agent and (when Docker + runsc are here) a real
// runsc agent; the egress proxy's overhead over a direct local request. Prints numbers only.
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Docker from 'dockerode';
import filesystemSkill from '../skills/filesystem/index.js';
import type { AgentHandle } from '../src/agents/sandbox.js';
import { createAgentManager } from '../src/agents/create-agent-manager.js';
import { configSchema } from '../src/config/schema.js';
import { createEgressClient } from '../src/security/egress-client.js';
import { createEgressAllowlist } from '../src/security/egress-allowlist.js';
import { startEgressProxy } from '../src/security/egress-proxy.js';
import { loadAgentScript, runAgentScript } from '../src/skills/agent-script.js';
import { loadSkills, resolveTool } from '../src/skills/loader.js';
import { isPathAllowed } from '../src/skills/path-containment.js';
import { openDatabase } from '../src/store/database.js';
import { createHostAgentForUnitTests } from '../test/skills/host-agent-for-unit-tests.js';

function time(label: string, n: number, fn: (i: number) => void): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  const ms = performance.now() - start;
  console.log(`${label.padEnd(50)} ${n.toString().padStart(7)} ops  ${(ms / n).toFixed(4).padStart(9)} ms/op  ${Math.round((n * 1000) / ms).toString().padStart(9)} ops/s`);
  return ms / n;
}

async function timeAsync(label: string, n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const ms = performance.now() - start;
  console.log(`${label.padEnd(50)} ${n.toString().padStart(7)} ops  ${(ms / n).toFixed(2).padStart(9)} ms/op`);
  return ms / n;
}

const shared = new URL('../../shared/data/security/', import.meta.url);
const cases = readFileSync(new URL('fs_path_containment_cases.jsonl', shared), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path: string; allowed: string[]; platform: 'posix' | 'win32' });
const payloads = readFileSync(new URL('fs_traversal_payloads.jsonl', shared), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { payload: string }).payload.split('{FILE}').join('etc/passwd'));

time('isPathAllowed (shared containment cases)', 200_000, (i) => {
  const c = cases[i % cases.length]!;
  isPathAllowed(c.path, c.allowed, { base: '/srv/x', platform: c.platform });
});
const { skills } = await loadSkills();
const names = ['filesystem_read', 'shell_run', '__proto__', 'filesystem___proto__', 'constructor', 'notes_forget'];
time('resolveTool (valid and hostile names)', 500_000, (i) => resolveTool(skills, names[i % names.length]!));

const script = loadAgentScript(new URL('../skills/filesystem/index.ts', import.meta.url).href, 'fs-agent.py');

async function agentBench(label: string, agent: AgentHandle): Promise<void> {
  const ctx = { conversationId: agent.conversationId, actionId: 'b', agent, secrets: {}, config: {}, signal: new AbortController().signal };
  await filesystemSkill.execute(ctx, 'write', { path: 'bench.txt', content: 'x'.repeat(4096) });
  await timeAsync(`${label}: filesystem_read 4 KiB`, 20, () => filesystemSkill.execute(ctx, 'read', { path: 'bench.txt' }));
  const single = await timeAsync(`${label}: 1 traversal payload per exec`, 10, (i) => runAgentScript(agent, script, { op: 'read', args: { path: payloads[i]! } }).catch(() => undefined));
  const batchStart = performance.now();
  await runAgentScript(agent, script, { batch: payloads.map((p) => ({ op: 'read', args: { path: p } })), limits: {} }, { outputCapBytes: 900_000 });
  const batchMs = performance.now() - batchStart;
  console.log(`${label}: ${payloads.length} payloads in one exec: ${batchMs.toFixed(0)} ms (one exec per payload would take ~${(single * payloads.length).toFixed(0)} ms, ${((single * payloads.length) / batchMs).toFixed(1)}x)`);
}

const host = createHostAgentForUnitTests('bench');
try {
  await agentBench('host stand-in', host);
} finally {
  host.dispose();
}

const dataDir = mkdtempSync(join(tmpdir(), 'ss-bench-skills-'));
try {
  await new Docker().ping();
  const config = configSchema.parse({ sandbox: { warm_pool: 0, require_strong_isolation: true } }).sandbox;
  const db = openDatabase(dataDir);
  const sub = await createAgentManager({ db, config, dataDir, autoStart: false });
  try {
    if ((await sub.manager.health()).ok) {
      const agent = sub.manager.agentFor('bench-skills');
      const start = performance.now();
      await agent.exec({ argv: ['true'] });
      console.log(`runsc agent: first exec (creates the agent) ${(performance.now() - start).toFixed(0)} ms`);
      await agentBench('runsc agent', agent);
    } else console.log('runsc agent: skipped (sandbox unavailable)');
  } finally {
    await sub.manager.close({ stopAgents: true });
    db.close();
  }
} catch (err) {
  console.log(`runsc agent: skipped (${(err as Error).message})`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

const server = http.createServer((_req, res) => res.end('y'.repeat(1024)));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
const sockDir = mkdtempSync(join(tmpdir(), 'ss-bench-egress-'));
// Every request carries a token; this one accepts any, to time the proxy itself.
const proxy = await startEgressProxy({ socketPath: join(sockDir, 'e.sock'), identify: () => 'http', allow: createEgressAllowlist({ http: ['allowed.test'] }), maxResponseBytes: 65_536, allowPrivateAddresses: true, lookup: async () => [{ address: '127.0.0.1', family: 4 }] });
const client = createEgressClient({ socketPath: proxy.socketPath! });
const agentOpts = new http.Agent({ keepAlive: false });
const direct = await timeAsync('direct local GET 1 KiB', 300, () => new Promise<void>((resolve, reject) => http.get({ host: '127.0.0.1', port, agent: agentOpts }, (r) => r.resume().on('end', resolve)).on('error', reject)));
const proxied = await timeAsync('GET 1 KiB through the egress proxy', 300, () => client.request('bench-token', { url: `http://allowed.test:${port}/` }));
const refused = await timeAsync('refused domain (no connection)', 300, () => client.request('bench-token', { url: `http://other.test:${port}/` }));
console.log(`egress proxy overhead: ${(proxied / direct).toFixed(2)}x a direct request; refusal ${(refused / direct).toFixed(2)}x`);
await proxy.close();
await new Promise<void>((resolve) => server.close(() => resolve()));
rmSync(sockDir, { recursive: true, force: true });
