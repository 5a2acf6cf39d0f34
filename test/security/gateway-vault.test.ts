// The vault through the real gateway. Without a master key the gateway still starts, sealed,
// says so (log and GET /api/health, with how to unseal), and a skill that needs a secret
// fails with a clear tool error instead of crashing the turn; a config that references
// vault:NAME cannot start sealed and says why. With SECURESPHERE_MASTER_KEY the vault is open
// and vault: references resolve.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/agents/sandbox.js';
import { isSecureSphereError } from '../../src/core/errors.js';
import { createVault } from '../../src/security/vault/vault.js';
import { openDatabase } from '../../src/store/database.js';
import { startFakeOllama, turns, type FakeChatRequest, type FakeOllama } from '../fakes/ollama-server.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const MASTER_KEY = 'gateway vault test master key 0123456789';

const noSandbox: Sandbox = {
  agentFor: (conversationId) => ({ conversationId, exec: () => Promise.reject(new Error('no sandbox in this test')) }),
  health: async () => ({ ok: true, backend: 'none', runtime: null, detail: 'test stub' }),
};

let fake: FakeOllama;
const dirs: string[] = [];
const gateways: TestGateway[] = [];
beforeAll(async () => {
  fake = await startFakeOllama();
});
afterEach(async () => {
  for (const g of gateways.splice(0).reverse()) await g.close();
});
afterAll(async () => {
  await fake.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ss-gw-vault-'));
  dirs.push(dir);
  return dir;
}

async function start(options: { env?: Record<string, string>; config?: Record<string, unknown>; dataDir?: string } = {}): Promise<TestGateway> {
  const t = await startTestGateway({
    fake,
    dataDir: options.dataDir ?? tempDir(),
    env: options.env,
    config: { skills: { enabled: ['calc', 'secret-probe'] }, ...(options.config ?? {}) },
    gatewayOptions: { sandbox: noSandbox },
  });
  gateways.push(t);
  return t;
}

/** Plants a secret the way `securesphere vault set` does: straight into the data dir's vault. */
function plantSecret(dataDir: string, name: string, value: string): void {
  const db = openDatabase(dataDir);
  try {
    createVault({ db, masterKey: MASTER_KEY }).set(name, value);
  } finally {
    db.close();
  }
}

describe('a sealed start (no master key)', () => {
  it('starts, and says it is sealed and how to unseal, in the log and GET /api/health', async () => {
    const t = await start();
    const health = await t.api('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.body.vault.sealed).toBe(true);
    expect(health.body.vault.detail).toMatch(/sealed/);
    expect(health.body.vault.detail).toMatch(/SECURESPHERE_MASTER_KEY/);
    expect(health.body.vault.detail).toMatch(/security\.vault\.key_file/);
    expect(t.logs.join('')).toMatch(/"vault":"sealed".*SECURESPHERE_MASTER_KEY/);
    // Everything else works.
    const res = await t.api('POST', '/api/messages', { conversation_id: 'sealed-plain', text: 'hello' });
    expect(res.body).toMatchObject({ status: 'completed', reply: { text: 'hello' } });
  });

  it('a skill that needs a secret fails with a clear error the model reads; the turn and the gateway go on', async () => {
    const t = await start();
    const seen: FakeChatRequest[] = [];
    fake.enqueue(turns.toolCall('secret-probe_check', {}), (req) => {
      seen.push(req);
      return turns.text('I could not reach your account: the vault is sealed.');
    });
    const res = await t.api('POST', '/api/messages', { conversation_id: 'sealed-skill', text: 'check my account' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('completed');
    expect(res.body.reply.text).toMatch(/sealed/);
    expect(res.body.actions).toHaveLength(1);
    expect(res.body.actions[0]).toMatchObject({ skill: 'secret-probe', operation: 'check', status: 'failed' });

    const action = await t.api('GET', `/api/actions/${res.body.actions[0].id}`);
    expect(action.body.error).toMatch(/vault is sealed/);
    expect(action.body.error).toMatch(/SECURESPHERE_MASTER_KEY/);
    const tool = seen[0]!.messages.find((m) => m.role === 'tool')!;
    expect(tool.content).toMatch(/The tool failed: The vault is sealed/);

    const next = await t.api('POST', '/api/messages', { conversation_id: 'sealed-skill', text: 'still there?' });
    expect(next.body).toMatchObject({ status: 'completed', reply: { text: 'still there?' } });
  });

  it('a config that references vault:NAME refuses to start and names the key and the reason', async () => {
    for (const planted of [false, true]) {
      const dataDir = tempDir();
      if (planted) plantSecret(dataDir, 'API_TOKEN', 'token-from-the-vault-123');
      // An empty SECURESPHERE_API_TOKEN keeps the harness from overriding server.api_token.
      const failure = await startTestGateway({
        fake,
        dataDir,
        env: { SECURESPHERE_API_TOKEN: '' },
        config: { server: { api_token: 'vault:API_TOKEN' } },
        gatewayOptions: { sandbox: noSandbox },
      }).then(
        (t) => {
          gateways.push(t);
          return undefined;
        },
        (err: unknown) => err,
      );
      expect(isSecureSphereError(failure), `planted=${planted}`).toBe(true);
      const message = (failure as Error).message;
      expect(message, `planted=${planted}`).toMatch(/server\.api_token/);
      expect(message, `planted=${planted}`).toMatch(/vault/);
      expect(message, `planted=${planted}`).toMatch(/sealed|not open/);
      expect(message, `planted=${planted}`).toMatch(/SECURESPHERE_MASTER_KEY/);
    }
  });
});

describe('with SECURESPHERE_MASTER_KEY', () => {
  it('the vault is open, vault: references resolve, and a skill gets its declared secret', async () => {
    const dataDir = tempDir();
    plantSecret(dataDir, 'API_TOKEN', 'token-from-the-vault-123');
    plantSecret(dataDir, 'CANARY', 'the-declared-secret');
    const t = await start({
      dataDir,
      env: { SECURESPHERE_MASTER_KEY: MASTER_KEY, SECURESPHERE_API_TOKEN: '' },
      config: { server: { api_token: 'vault:API_TOKEN' } },
    });
    const health = await t.api('GET', '/api/health', undefined, 'token-from-the-vault-123');
    expect(health.status).toBe(200);
    expect(health.body.vault).toMatchObject({ sealed: false });
    expect(health.body.vault.detail).toMatch(/unsealed \(2 secrets\)/);

    fake.enqueue(turns.toolCall('secret-probe_check', {}), turns.text('ok'));
    const res = await t.api('POST', '/api/messages', { conversation_id: 'open-skill', text: 'check' }, 'token-from-the-vault-123');
    expect(res.body.actions[0]).toMatchObject({ status: 'succeeded' });
    const action = await t.api('GET', `/api/actions/${res.body.actions[0].id}`, undefined, 'token-from-the-vault-123');
    expect(action.body.result).toMatchObject({ received: true, names: ['CANARY'] });
  });

  it('a wrong master key refuses to start with a clear message', async () => {
    const dataDir = tempDir();
    plantSecret(dataDir, 'CANARY', 'x-secret-value');
    const failure = await start({ dataDir, env: { SECURESPHERE_MASTER_KEY: 'a different master key!' } }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isSecureSphereError(failure)).toBe(true);
    expect((failure as Error).message).toMatch(/does not match this vault/);
  });
});
