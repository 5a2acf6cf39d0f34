// Skills: pure containment and tool lookup throughput; a filesystem read and a batched
// payload replay through a host stand-in agent and (when Docker + runsc are here) a real
// runsc agent; the egress proxy's overhead over a direct local request. Prints numbers only.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
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
import { readJsonl } from '../test/skills/shared-data.js';
import { time } from './lib.js';

// Column widths of this benchmark's lines; asynchronous steps print ms/op with 2 decimals, no ops/s.
const FORMAT = { labelWidth: 50, countWidth: 7, decimals: 4, msWidth: 9, opsWidth: 9 };
const ASYNC_FORMAT = { labelWidth: 50, countWidth: 7, decimals: 2, msWidth: 9 };

const cases = readJsonl<{ path: string; allowed: string[]; platform: 'posix' | 'win32' }>('fs_path_containment_cases.jsonl');
const payloads = readJsonl<{ payload: string }>('fs_traversal_payloads.jsonl').map((p) => p.payload.split('{FILE}').join('etc/passwd'));

time('isPathAllowed (shared containment cases)', 200_000, (i) => {
  const c = cases[i % cases.length]!;
  isPathAllowed(c.path, c.allowed, { base: '/srv/x', platform: c.platform });
}, FORMAT);
const { skills } = await loadSkills();
const names = ['filesystem_read', 'shell_run', '__proto__', 'filesystem___proto__', 'constructor', 'notes_forget'];
time('resolveTool (valid and hostile names)', 500_000, (i) => resolveTool(skills, names[i % names.length]!), FORMAT);

const script = loadAgentScript(new URL('../skills/filesystem/index.ts', import.meta.url).href, 'fs-agent.py');

async function agentBench(label: string, agent: AgentHandle): Promise<void> {
  const ctx = { conversationId: agent.conversationId, actionId: 'b', agent, secrets: {}, config: {}, signal: new AbortController().signal };
  await filesystemSkill.execute(ctx, 'write', { path: 'bench.txt', content: 'x'.repeat(4096) });
  await time(`${label}: filesystem_read 4 KiB`, 20, () => filesystemSkill.execute(ctx, 'read', { path: 'bench.txt' }), ASYNC_FORMAT);
  const single = await time(`${label}: 1 traversal payload per exec`, 10, (i) => runAgentScript(agent, script, { op: 'read', args: { path: payloads[i]! } }).catch(() => undefined), ASYNC_FORMAT);
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
// The direct baseline goes through the same agent as both hops of the proxied path (the client
// and the proxy's upstream request use http.globalAgent: keep-alive), so the ratio compares like with like.
const direct = await time('direct local GET 1 KiB', 300, () => new Promise<void>((resolve, reject) => http.get({ host: '127.0.0.1', port, agent: http.globalAgent }, (r) => r.resume().on('end', resolve)).on('error', reject)), ASYNC_FORMAT);
const proxied = await time('GET 1 KiB through the egress proxy', 300, () => client.request('bench-token', { url: `http://allowed.test:${port}/` }), ASYNC_FORMAT);
const refused = await time('refused domain (no connection)', 300, () => client.request('bench-token', { url: `http://other.test:${port}/` }), ASYNC_FORMAT);
console.log(`egress proxy overhead: ${(proxied / direct).toFixed(2)}x a direct request; refusal ${(refused / direct).toFixed(2)}x`);
await proxy.close();
await new Promise<void>((resolve) => server.close(() => resolve()));
rmSync(sockDir, { recursive: true, force: true });
