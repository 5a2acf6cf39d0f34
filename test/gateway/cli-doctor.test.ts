// `securesphere doctor` checks config, store, provider and every sandbox runtime, and says
// what to fix.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RCU_EXPEDITED_PATH } from '../../src/agents/host-tuning.js';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama-server.js';
import { runCli } from '../helpers/cli.js';
import { describeNodeRuntime } from '../../src/core/node-runtime.js';

let fake: FakeOllama;
let dataDir: string;
beforeAll(async () => {
  fake = await startFakeOllama();
  dataDir = mkdtempSync(join(tmpdir(), 'securesphere-doctor-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('securesphere doctor', () => {
  it('reports the provider, the store and every runtime candidate', async () => {
    const res = await runCli(['doctor', '--data-dir', dataDir], { OLLAMA_HOST: fake.url, SECURESPHERE_CONFIG: '', SECURESPHERE_API_TOKEN: '' });
    expect(res.stdout).toMatch(/^ok {3}config: /m);
    expect(res.stdout).toMatch(/^ok {3}store: /m);
    expect(res.stdout).toMatch(/^ok {3}provider primary \(ollama llama3\.1\): /m);
    for (const name of ['runsc', 'kata', 'runc', 'bubblewrap']) expect(res.stdout).toMatch(new RegExp(`^(ok  |info) runtime ${name}: `, 'm'));
    // With runsc chosen, the host knob that decides ~70 ms of each cold start is reported as it is.
    if (/runtime runsc: found \(chosen\)/.test(res.stdout) && existsSync(RCU_EXPEDITED_PATH)) {
      const on = readFileSync(RCU_EXPEDITED_PATH, 'utf8').trim() !== '0';
      expect(res.stdout).toMatch(on ? /^ok {3}host tuning: expedited RCU grace periods on/m : /^info host tuning: cold gVisor agent starts are ~70 ms slower/m);
    }
    // Exit status follows the sandbox: 0 only when a runtime was found.
    const sandboxOk = /^ok {3}sandbox: /m.test(res.stdout);
    expect(res.code).toBe(sandboxOk ? 0 : 1);
  }, 60_000);

  it('says what to fix when the provider is down', async () => {
    // No gateway listens on port 9: channels are reported as configured, not as live.
    const res = await runCli(['doctor', '--data-dir', dataDir], { OLLAMA_HOST: 'http://127.0.0.1:9', SECURESPHERE_CONFIG: '', SECURESPHERE_API_TOKEN: '', SECURESPHERE_PORT: '9' });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^ok {3}channel web: configured \(gateway not running/m);
    expect(res.stdout).toMatch(/^FAIL provider primary \(ollama llama3\.1\): .*127\.0\.0\.1:9/m);
    expect(res.stdout).toMatch(/fix: Start Ollama/);
  }, 60_000);

  it('names the file, key and reason for a bad config', async () => {
    const res = await runCli(['doctor', '--data-dir', dataDir, '--config', join(dataDir, 'missing.yaml')]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/FAIL config: .*missing\.yaml: config file not found/);
  }, 60_000);
});

describe('Node.js runtime report', () => {
  it('doctor and /api/health name the Node.js that runs the gateway', async () => {
    const res = await runCli(['doctor', '--data-dir', dataDir], { OLLAMA_HOST: fake.url, SECURESPHERE_CONFIG: '', SECURESPHERE_API_TOKEN: '' });
    expect(res.stdout).toContain(`node: Node.js ${process.versions.node} (`);
    expect(res.stdout).toMatch(/^ok {3}node: /m);
  }, 60_000);

  it('warns on an end-of-life major and on one older than the supported minimum', () => {
    const at = new Date('2026-12-06T00:00:00Z');
    const old = describeNodeRuntime({ version: '20.20.2', execPath: '/usr/bin/node' }, at);
    expect(old).toMatchObject({ major: 20, ok: false, endOfLife: '2026-04-30' });
    expect(old.detail).toMatch(/reached end of life on 2026-04-30/);
    // Before its end of life Node 20 was still too old for this gateway.
    expect(describeNodeRuntime({ version: '20.1.0', execPath: 'n' }, new Date('2025-01-01T00:00:00Z'))).toMatchObject({ ok: false });
    const lts = describeNodeRuntime({ version: '24.22.3', execPath: '/x/node' }, at);
    expect(lts).toMatchObject({ major: 24, ok: true, endOfLife: '2028-04-30' });
    expect(describeNodeRuntime({ version: '24.0.0', execPath: 'n' }, new Date('2028-05-01T00:00:00Z')).ok).toBe(false);
    expect(describeNodeRuntime({ version: '30.0.0', execPath: 'n' }, at)).toMatchObject({ ok: true, endOfLife: null });
    expect(describeNodeRuntime({ version: '12.0.0', execPath: 'n' }, at).ok).toBe(false);
  });
});
