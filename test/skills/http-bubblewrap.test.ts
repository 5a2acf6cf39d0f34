// The http skill from inside a bubblewrap agent (hosts without Docker): the egress socket's
// directory is bound read-only into the agent, the request is made there with a one-time
// token, and code without a token gets nothing. Needs bwrap; skipped without it unless
// REQUIRE_SANDBOX=1.
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import httpSkill from '../../skills/http/index.js';
import { type AgentSubsystem, createAgentManager } from '../../src/agents/create-agent-manager.js';
import { configSchema } from '../../src/config/schema.js';
import { AGENT_EGRESS_SOCKET } from '../../src/security/egress-paths.js';
import { startSkillEgress, type SkillEgressService } from '../../src/security/skill-egress.js';
import { loadSkills } from '../../src/skills/loader.js';
import { type Db, openDatabase } from '../../src/store/database.js';
import { sandboxRequired } from '../helpers/sandbox.js';

const hasBwrap = spawnSync('bwrap', ['--version']).status === 0;

describe.skipIf(!hasBwrap && !sandboxRequired())('http skill from inside a bubblewrap agent', () => {
  let dir: string;
  let db: Db;
  let egress: SkillEgressService;
  let sub: AgentSubsystem;
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('hello over bwrap'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    dir = mkdtempSync(path.join(tmpdir(), 'ss-http-bwrap-'));
    db = openDatabase(dir);
    const { skills } = await loadSkills({ enabled: ['http'] });
    egress = await startSkillEgress({
      dataDir: dir,
      skills,
      settings: { http: { allow_domains: ['allowed.test'] } },
      allowPrivateAddresses: true,
      lookup: async (h) => (h.endsWith('.test') ? [{ address: '127.0.0.1', family: 4 }] : []),
    });
    const config = configSchema.parse({ sandbox: { backend: 'bubblewrap', warm_pool: 0, limits: { workspace_mb: 16, tmpfs_mb: 8 } } }).sandbox;
    sub = await createAgentManager({ db, config, dataDir: dir, egressSocketDir: egress.socketDir });
  }, 60_000);
  afterAll(async () => {
    await sub?.manager.close();
    await egress?.close();
    db?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fetches an allowed domain through the bound socket; no token gets nothing', async () => {
    const agent = sub.manager.agentFor('bw-http');
    const ctx = { conversationId: 'bw-http', actionId: 'a1', agent, secrets: {}, config: {}, signal: new AbortController().signal, egress: egress.egressFor('http') };
    expect(await httpSkill.execute(ctx, 'request', { url: `http://allowed.test:${port}/` })).toMatchObject({ status: 200, body: 'hello over bwrap' });
    const probe = `require('http').request({ socketPath: process.argv[1], path: process.argv[2] }, (r) => console.log(r.statusCode, r.headers['x-securesphere-refused'])).on('error', (e) => console.log(e.code)).end()`;
    const r = await agent.exec({ argv: ['node', '-e', probe, AGENT_EGRESS_SOCKET, `http://allowed.test:${port}/`], timeoutMs: 10_000 });
    expect(r.stdout.trim()).toBe('401 no_token');
  }, 60_000);
});
