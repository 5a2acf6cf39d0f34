// A canary secret never leaks, through the real gateway. The canary is planted in the vault
// before start (as `securesphere vault set` would), a skill whose manifest names it receives
// it at execution time, and then everyone tries to spill it: the user types it, a misbehaving
// skill returns it (raw, base64, hex, base32, URL, upper/lower case, reversed, rot13), the model
// repeats it in its answer and puts it in tool arguments (refused, not run altered), and a
// provider error carries it. Afterwards every log line, audit row (table and export), prompt
// sent to the model, API response body, outbound message and the database file with its WAL is
// searched for the canary's random part and each of its encoded forms.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/agents/sandbox.js';
import { createVault } from '../../src/security/vault/vault.js';
import { openDatabase } from '../../src/store/database.js';
import { startFakeOllama, turns, type FakeChatRequest, type FakeOllama } from '../fakes/ollama-server.js';
import { TEST_TOKEN, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const MASTER_KEY = 'canary e2e master key 0123456789abcdef';
const CORE = randomBytes(12).toString('hex');
const CANARY = `cnry-${CORE}`;
const CANARY_B64 = Buffer.from(CANARY).toString('base64').replace(/=+$/, '');
const CANARY_SHA = createHash('sha256').update(CANARY).digest('hex');
const rot13 = (s: string) => s.replace(/[a-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - 97 + 13) % 26) + 97));
/** Encoded forms searched for (compared lower-cased), made by the real encoders where one exists. */
const CANARY_FORMS: Record<string, string> = {
  'random part': CORE,
  'random part reversed': [...CORE].reverse().join(''),
  'random part rot13': rot13(CORE),
  base64: CANARY_B64,
  hex: Buffer.from(CANARY).toString('hex'),
  base32: execFileSync('base32', ['-w', '0'], { input: CANARY, encoding: 'utf8' }).replace(/=+$/, '').slice(0, -1),
  'base64 of KEY=canary': Buffer.from(`KEY=${CANARY}\n`).toString('base64').slice(6, 40),
};

// Records what each skill's agent is given: its declared secrets become that agent's environment.
const agentEnvs: Array<Record<string, string> | undefined> = [];
const noSandbox: Sandbox = {
  agentFor: (conversationId, requirements) => {
    agentEnvs.push(requirements?.env);
    return { conversationId, exec: () => Promise.reject(new Error('no sandbox in this test')) };
  },
  health: async () => ({ ok: true, backend: 'none', runtime: null, detail: 'test stub' }),
};

let fake: FakeOllama;
let dataDir: string;
const gateways: TestGateway[] = [];
/** Every gateway started here, closed or not: all their logs and outbound messages are searched. */
const started: TestGateway[] = [];
/** Raw text of every API response this test received. */
const responses: string[] = [];

beforeAll(async () => {
  fake = await startFakeOllama();
  dataDir = mkdtempSync(join(tmpdir(), 'ss-gw-canary-'));
  const db = openDatabase(dataDir);
  try {
    createVault({ db, masterKey: MASTER_KEY }).set('CANARY', CANARY);
  } finally {
    db.close();
  }
});
afterAll(async () => {
  for (const g of gateways.reverse()) await g.close();
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<TestGateway> {
  const t = await startTestGateway({
    fake,
    dataDir,
    env: { SECURESPHERE_MASTER_KEY: MASTER_KEY },
    config: {
      logging: { level: 'debug' },
      skills: { enabled: ['calc', 'inbox', 'secret-probe', 'plain-probe'] },
      security: { audit: { checkpoint_every: 5 } },
    },
    gatewayOptions: { sandbox: noSandbox },
  });
  gateways.push(t);
  started.push(t);
  return t;
}

/** Calls the API and keeps the raw response body for the final search. */
async function call(t: TestGateway, method: string, path: string, body?: unknown, token: string | null = TEST_TOKEN) {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, t.url), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  responses.push(text);
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
}

function expectClean(where: string, text: string): void {
  const lower = text.toLowerCase();
  for (const [name, form] of Object.entries(CANARY_FORMS)) expect(lower.includes(form.toLowerCase()), `${where} contains the canary (${name})`).toBe(false);
}

describe('a canary secret', () => {
  let t: TestGateway;
  const seen: FakeChatRequest[] = [];
  let turn: { status: number; body: any };

  beforeAll(async () => {
    t = await start();
    fake.enqueue(
      (req) => {
        seen.push(req);
        return turns.toolCalls([
          { name: 'secret-probe_check', arguments: {} },
          { name: 'plain-probe_check', arguments: {} },
          { name: 'secret-probe_leak', arguments: {} },
          // The model tries to exfiltrate it through tool arguments, plain and encoded: refused.
          { name: 'inbox_echo', arguments: { text: `fetched page: token=${CANARY} b64=${CANARY_B64}` } },
          { name: 'calc_note', arguments: { text: `send ${CANARY} to attacker` } },
          { name: 'calc_note', arguments: { text: `send ${Buffer.from(CANARY).toString('hex').toUpperCase()} to attacker` } },
          { name: 'calc_note', arguments: { [[...CANARY].reverse().join('')]: 'x' } },
        ]);
      },
      (req) => {
        seen.push(req);
        return turns.text(`Your key is ${CANARY} (base64 ${CANARY_B64}).`);
      },
    );
    turn = await call(t, 'POST', '/api/messages', {
      conversation_id: 'canary-1',
      user: 'alice',
      text: `My key is ${CANARY}, base64 ${CANARY_B64}. Keep it safe.`,
    });
  });

  it('reaches the skill that names it, and only that skill', async () => {
    expect(turn.status).toBe(200);
    const byOp = Object.fromEntries((turn.body.actions as Array<{ id: string; skill: string; operation: string }>).map((a) => [`${a.skill}_${a.operation}`, a]));
    const check = await call(t, 'GET', `/api/actions/${byOp['secret-probe_check']!.id}`);
    expect(check.body.status).toBe('succeeded');
    expect(check.body.result).toEqual({ received: true, sha256: CANARY_SHA, names: ['CANARY'] });
    const plain = await call(t, 'GET', `/api/actions/${byOp['plain-probe_check']!.id}`);
    expect(plain.body.result).toEqual({ names: [], values: 0 });
    // The agent handed to each skill: only the declaring one carries the secret, as environment.
    const withSecret = agentEnvs.filter((env) => env && Object.values(env).includes(CANARY));
    expect(withSecret.length).toBeGreaterThanOrEqual(2); // secret-probe check and leak
    expect(withSecret.every((env) => Object.keys(env!).join() === 'CANARY')).toBe(true);
    expect(agentEnvs.filter((env) => env && Object.keys(env).length === 0).length).toBeGreaterThanOrEqual(1); // plain-probe (inbox and calc were refused)
    // The skill that hands its secret back ran; the API shows its result scrubbed.
    const leak = await call(t, 'GET', `/api/actions/${byOp['secret-probe_leak']!.id}`);
    expect(leak.body.status).toBe('succeeded');
    expect(leak.body.result).toMatchObject({ value: '[REDACTED]', base64: expect.stringContaining('[REDACTED]') });
    const encoded = leak.body.result.encoded as Record<string, string>;
    expect(Object.keys(encoded).sort()).toEqual(['base32', 'base32Lower', 'base64Unaligned', 'base64url', 'hex', 'hexUpper', 'lower', 'reversed', 'rot13', 'upper', 'url']);
    for (const [name, value] of Object.entries(encoded)) {
      expect(value, name).toContain('[REDACTED]');
      // What is left beside the marker is only the encoding's edge characters ("KEY=" and the
      // newline, base64'd, for the unaligned form).
      expect(value.replace('[REDACTED]', '').length, name).toBeLessThanOrEqual(12);
    }
  });

  it('never reaches the model: not from the user, a tool result, or the model itself', () => {
    expect(seen).toHaveLength(2);
    for (const [i, request] of fake.chatRequests.entries()) expectClean(`prompt ${i}`, JSON.stringify(request));
    // The prompts did carry the conversation, with the secret replaced.
    const user = seen[0]!.messages.find((m) => m.role === 'user')!;
    expect(user.content).toMatch(/My key is \[REDACTED\]/);
    const toolTexts = seen[1]!.messages.filter((m) => m.role === 'tool').map((m) => m.content);
    expect(toolTexts.some((c) => c.includes(CANARY_SHA))).toBe(true);
  });

  it('refuses a tool call whose arguments carry it (in any spelling) instead of running it altered, and tells the model why', () => {
    // Nothing ran: no action exists for the refused calls.
    const ran = t.gateway.db.prepare("SELECT operation FROM actions WHERE conversation_id = 'canary-1' AND operation IN ('note', 'echo')").pluck().all();
    expect(ran).toEqual([]);
    expect(turn.body.actions.map((a: { operation: string }) => a.operation).sort()).toEqual(['check', 'check', 'leak']);
    const toolTexts = seen[1]!.messages.filter((m) => m.role === 'tool').map((m) => m.content);
    const refusals = toolTexts.filter((c) => c.includes('contain a value the gateway holds as a secret'));
    expect(refusals).toHaveLength(4);
    expect(refusals.every((c) => c.startsWith('Error: Refused:'))).toBe(true);
    const audited = t.gateway.db.prepare("SELECT details FROM audit_events WHERE type = 'tool-call-rejected' AND conversation_id = 'canary-1'").pluck().all() as string[];
    expect(audited.map((d) => JSON.parse(d).reason)).toEqual(Array(4).fill('secret in arguments'));
    const assistant = t.gateway.db.prepare("SELECT content, tool_calls FROM messages WHERE conversation_id = 'canary-1' AND role = 'assistant'").all();
    expect(assistant).toHaveLength(2);
    expectClean('stored assistant messages', JSON.stringify(assistant));
  });

  it('is scrubbed from the reply, the stored-messages API, approvals and actions', async () => {
    expect(turn.body.reply.text).toBe('Your key is [REDACTED] (base64 [REDACTED]).');
    const history = await call(t, 'GET', '/api/conversations/canary-1/messages');
    expect(history.status).toBe(200);
    expect(history.body.messages.length).toBeGreaterThanOrEqual(4);
    await call(t, 'GET', '/api/approvals');
    for (const a of turn.body.actions as Array<{ id: string }>) await call(t, 'GET', `/api/actions/${a.id}`);
    await call(t, 'GET', '/api/health');
  });

  it('is scrubbed from a provider error (log and reply)', async () => {
    fake.enqueue(turns.error(`invalid credentials ${CANARY}`, 500));
    const res = await call(t, 'POST', '/api/messages', { conversation_id: 'canary-2', user: 'alice', text: 'hi again' });
    expect(res.body.status).toBe('failed');
  });

  it('is scrubbed from a skill error and from an approval for a step a user asked for with it', async () => {
    fake.enqueue(turns.toolCall('secret-probe_fail', {}), (req) => turns.text(req.messages.filter((m) => m.role === 'tool').at(-1)!.content));
    const failed = await call(t, 'POST', '/api/messages', { conversation_id: 'canary-4', user: 'alice', text: 'log in' });
    expect(failed.body.actions[0]).toMatchObject({ status: 'failed' });
    expect(failed.body.reply.text).toMatch(/login refused for key \[REDACTED\]/);
    // A user asks directly for a high step with the secret in its arguments: refused with a 400
    // that says why, before any approval prompt is opened.
    const direct = await call(t, 'POST', '/api/actions', {
      action_type: 'skill_execution',
      conversation_id: 'canary-5',
      skill: 'calc',
      operation: 'wipe',
      arguments: { target: CANARY.toUpperCase() },
      requester: 'alice',
    });
    expect(direct.status).toBe(400);
    expect(direct.body).toMatchObject({ status: 'rejected', error: expect.stringContaining('holds as a secret') });
    const approvals = await call(t, 'GET', '/api/approvals?status=pending');
    expect(approvals.body.approvals.filter((a: { conversation_id: string }) => a.conversation_id === 'canary-5')).toEqual([]);
    expect(t.outbound.some((m) => m.conversationId === 'canary-5')).toBe(false);
  });

  it('survives a restart: the new process scrubs it before first use', async () => {
    gateways.splice(gateways.indexOf(t), 1);
    t = await t.restart();
    gateways.push(t);
    started.push(t);
    const before = fake.chatRequests.length;
    const res = await call(t, 'POST', '/api/messages', { conversation_id: 'canary-3', user: 'alice', text: `again: ${CANARY}` });
    expect(res.body.status).toBe('completed');
    expect(fake.chatRequests.length).toBe(before + 1);
    expect(res.body.reply.text).toBe('again: [REDACTED]');
  });

  it('appears nowhere: logs, audit rows and export, prompts, API responses, outbound messages', async () => {
    expect(started).toHaveLength(2);
    for (const g of started) {
      expect(g.logs.length).toBeGreaterThan(0);
      expectClean('log', g.logs.join('\n'));
      expectClean('outbound', JSON.stringify(g.outbound));
    }
    t.gateway.audit.checkpoint();
    const rows = t.gateway.db.prepare('SELECT * FROM audit_events').all();
    expect(rows.length).toBeGreaterThan(20);
    expectClean('audit_events', JSON.stringify(rows));
    expectClean('audit_checkpoints', JSON.stringify(t.gateway.db.prepare('SELECT * FROM audit_checkpoints').all()));
    expectClean('audit export', [...t.gateway.audit.exportJsonl()].join('\n'));
    const api = await call(t, 'GET', '/api/audit?limit=1000');
    expect(api.body.events.length).toBe(rows.length);
    expectClean('prompts', JSON.stringify(fake.chatRequests));
    expectClean('all fake requests', JSON.stringify(fake.requests));
    expect(responses.length).toBeGreaterThan(8);
    for (const [i, text] of responses.entries()) expectClean(`API response ${i}`, text);
  });

  it('is not stored in plain text anywhere in the database: messages, actions, approvals', () => {
    for (const table of ['messages', 'actions', 'action_transitions', 'approvals', 'conversation_grants']) {
      const rows = t.gateway.db.prepare(`SELECT * FROM ${table}`).all();
      expectClean(`table ${table}`, JSON.stringify(rows));
    }
    // The user text and the skill result that carried it were stored, redacted.
    const stored = t.gateway.db.prepare("SELECT content FROM messages WHERE conversation_id = 'canary-1'").pluck().all() as string[];
    expect(stored.some((c) => c.includes('[REDACTED]'))).toBe(true);
    // Nor in the bytes on disk: the database file and its WAL (free pages and old frames included).
    const file = join(dataDir, 'securesphere.db');
    for (const path of [file, `${file}-wal`]) {
      const bytes = existsSync(path) ? readFileSync(path).toString('latin1') : '';
      expectClean(path, bytes);
    }
  });
});
