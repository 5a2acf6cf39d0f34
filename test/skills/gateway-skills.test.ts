// Each built-in skill end to end through the real gateway (HTTP API, orchestrator, policy,
// approvals, audit chain) with the fake Ollama model, running inside a real runsc agent.
// Skips without Docker; fails under REQUIRE_SANDBOX=1.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiTokenStore } from '../../src/store/api-tokens.js';
import { turns } from '../fakes/ollama-server.js';
import type { FakeChatRequest } from '../fakes/ollama-turns.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { describeSandbox } from '../helpers/sandbox.js';

const toolText = (req: FakeChatRequest) => req.messages.filter((m) => m.role === 'tool').at(-1)?.content ?? '(no tool message)';
const echoTool = (req: FakeChatRequest) => turns.text(`TOOL SAID: ${toolText(req)}`);

await describeSandbox('skills end to end through the gateway in a runsc agent', () => {
  let t: TestGateway;
  let alice: string;
  let rootAdmin: string;
  let server: http.Server;
  let port: number;
  const conv = `e2e-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('page from the allowed host'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    // The gateway's own egress proxy, told that *.test names resolve to this host's loopback.
    t = await startTestGateway({
      gatewayOptions: { egress: { allowPrivateAddresses: true, lookup: async (h) => (h.endsWith('.test') ? [{ address: '127.0.0.1', family: 4 }] : []) } },
      config: {
        skills: { extra_dirs: [], enabled: ['filesystem', 'shell', 'code', 'http', 'notes'], settings: { filesystem: { max_write_bytes: 64 }, http: { allow_domains: ['allowed.test'] } } },
        policy: { admins: ['api:root-admin'] },
        sandbox: { warm_pool: 0, require_strong_isolation: true },
        orchestrator: { turn_timeout_ms: 60_000 },
      },
    });
    // alice asks (the operator's token posts as api:alice) and decides with her own token.
    const tokens = new ApiTokenStore(t.gateway.db);
    alice = tokens.create({ name: 'alice' }).token;
    rootAdmin = tokens.create({ name: 'root-admin' }).token;
  }, 180_000);

  afterAll(async () => {
    // Stop the agents first so their workspaces are unmounted before the data dir is removed.
    await (await t?.gateway.agents())?.manager.close({ stopAgents: true });
    await t?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  }, 120_000);

  async function say(text: string, ...script: Parameters<TestGateway['fake']['enqueue']>) {
    t.fake.enqueue(...script);
    const res = await t.api('POST', '/api/messages', { conversation_id: conv, user: 'alice', text });
    expect(res.status).toBe(200);
    return res.body;
  }

  async function waitForAction(id: string, statuses: string[]) {
    for (let i = 0; i < 300; i++) {
      const a = await t.api('GET', `/api/actions/${id}`);
      if (statuses.includes(a.body.status)) return a.body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`action ${id} never reached ${statuses.join('/')}`);
  }

  it('filesystem write (medium, runs with a notice) then read (low) inside the agent, audited', async () => {
    const w = await say('save it', turns.toolCall('filesystem_write', { path: '/hello.txt', content: 'hi from e2e' }), echoTool);
    expect(w.actions[0]).toMatchObject({ skill: 'filesystem', operation: 'write', status: 'succeeded', security_level: 'medium' });
    expect(t.outbound.some((m) => m.conversationId === conv && m.text.startsWith('Ran filesystem_write'))).toBe(true);
    const r = await say('read it', turns.toolCall('filesystem_read', { path: 'hello.txt' }), echoTool);
    expect(r.actions[0]).toMatchObject({ operation: 'read', status: 'succeeded', security_level: 'low' });
    expect(r.reply.text).toContain('hi from e2e');
    const audit = await t.api('GET', '/api/audit?limit=1000');
    const mine = audit.body.events.filter((e: { conversation_id: string }) => e.conversation_id === conv).map((e: { type: string }) => e.type);
    expect(mine).toEqual(expect.arrayContaining(['action-requested', 'action-started', 'action-succeeded']));
  });

  it('invalid arguments go back to the model; limits come back as a failed action', async () => {
    const bad = await say('bad', turns.toolCall('filesystem_read', { path: 5 }), echoTool);
    expect(bad.actions).toEqual([]);
    expect(bad.reply.text).toMatch(/Invalid arguments for filesystem_read/);
    const big = await say('big', turns.toolCall('filesystem_write', { path: 'big.txt', content: 'x'.repeat(100) }), echoTool);
    expect(big.actions[0]).toMatchObject({ status: 'failed' });
    expect(big.reply.text).toMatch(/write limit is 64/);
    const escape = await say('escape', turns.toolCall('filesystem_read', { path: '../../etc/passwd' }), echoTool);
    expect(escape.reply.text).toMatch(/leaves the workspace/);
    expect(escape.reply.text).not.toContain('root:x:0');
  });

  it('notes (low) remember and recall', async () => {
    await say('remember', turns.toolCall('notes_remember', { text: 'the e2e password hint is blue' }), echoTool);
    const r = await say('recall', turns.toolCall('notes_recall', { query: 'hint' }), echoTool);
    expect(r.actions[0]).toMatchObject({ status: 'succeeded', security_level: 'low' });
    expect(r.reply.text).toContain('the e2e password hint is blue');
  });

  it('shell run (high) waits for approval, then runs in the agent', async () => {
    const res = await say('run it', turns.toolCall('shell_run', { argv: ['cat', 'hello.txt'] }), echoTool);
    expect(res.actions[0]).toMatchObject({ skill: 'shell', operation: 'run', status: 'awaiting_approval', security_level: 'high' });
    expect(res.pending_approvals).toHaveLength(1);
    const approvals = await t.api('GET', '/api/approvals?status=pending');
    const approval = approvals.body.approvals.find((a: { action_id: string }) => a.action_id === res.actions[0].id);
    expect(approval).toMatchObject({ arguments: { argv: ['cat', 'hello.txt'] } });
    // The turn resumes after the decision and uses the echo turn queued by say().
    expect((await t.api('POST', `/api/approvals/${approval.id}/approve`, {}, alice)).status).toBe(200);
    const done = await waitForAction(res.actions[0].id, ['succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'succeeded', result: { exit_code: 0, stdout: 'hi from e2e', limit: null } });
  }, 120_000);

  it('shell script is critical: only an admin may approve; denied means not run', async () => {
    const res = await say('script', turns.toolCall('shell_script', { script: 'touch /workspace/should-not-exist' }), echoTool);
    expect(res.actions[0]).toMatchObject({ operation: 'script', status: 'awaiting_approval', security_level: 'critical' });
    const approvals = await t.api('GET', '/api/approvals?status=pending');
    const approval = approvals.body.approvals.find((a: { action_id: string }) => a.action_id === res.actions[0].id);
    expect(approval.approvers).toEqual(['api:root-admin']);
    expect((await t.api('POST', `/api/approvals/${approval.id}/approve`, {}, alice)).status).toBeGreaterThanOrEqual(400);
    expect((await t.api('POST', `/api/approvals/${approval.id}/deny`, {}, rootAdmin)).status).toBe(200);
    await waitForAction(res.actions[0].id, ['denied']);
    const check = await say('check', turns.toolCall('filesystem_list', {}), echoTool);
    expect(check.reply.text).not.toContain('should-not-exist');
  }, 120_000);

  it('code run (critical, like shell script) after an admin approves', async () => {
    const res = await say('code', turns.toolCall('code_run', { language: 'python', source: 'print(6*7)' }), echoTool);
    expect(res.actions[0]).toMatchObject({ status: 'awaiting_approval', security_level: 'critical' });
    const approvals = await t.api('GET', '/api/approvals?status=pending');
    const approval = approvals.body.approvals.find((a: { action_id: string }) => a.action_id === res.actions[0].id);
    expect(approval.approvers).toEqual(['api:root-admin']);
    expect((await t.api('POST', `/api/approvals/${approval.id}/approve`, {}, rootAdmin)).status).toBe(200);
    expect(await waitForAction(res.actions[0].id, ['succeeded', 'failed'])).toMatchObject({ status: 'succeeded', result: { stdout: '42\n', exit_code: 0 } });
  }, 120_000);

  it('http (medium) from inside the agent through the egress proxy: allowed domain works, another is refused', async () => {
    const ok = await say('fetch', turns.toolCall('http_request', { url: `http://allowed.test:${port}/` }), echoTool);
    expect(ok.actions[0]).toMatchObject({ status: 'succeeded', security_level: 'medium' });
    expect(ok.reply.text).toContain('page from the allowed host');
    const refused = await say('fetch other', turns.toolCall('http_request', { url: `http://other.test:${port}/` }), echoTool);
    expect(refused.actions[0]).toMatchObject({ status: 'failed' });
    expect(refused.reply.text).toMatch(/not on the http skill's allowlist/);
  });
});
