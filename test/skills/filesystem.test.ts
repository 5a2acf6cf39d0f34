// The filesystem skill against a real filesystem through the host stand-in agent: happy paths,
// refusals, limits, every symlink scenario and every traversal payload. The same scenarios
// run inside a real runsc agent in sandbox-skills.test.ts.
import { mkdtempSync, rmSync, writeFileSync, readFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentFsFixture, type AgentFsFixture } from './agent-fs-fixture.js';
import { fsCaller, symlinkScenarios } from './fs-scenarios.js';
import { createHostAgentForUnitTests, type HostAgentForUnitTests } from './host-agent-for-unit-tests.js';
import { readJsonl } from './shared-data.js';
import { replayTraversalPayloads } from './traversal-replay.js';

let agent: HostAgentForUnitTests;
let outside: string;
let f: AgentFsFixture;

beforeAll(() => {
  agent = createHostAgentForUnitTests();
  outside = mkdtempSync(path.join(tmpdir(), 'ss-outside-'));
  f = agentFsFixture(agent, agent.workspace, outside);
});
afterAll(() => {
  agent.dispose();
  rmSync(outside, { recursive: true, force: true });
});

describe('filesystem skill (host stand-in agent)', () => {
  it('writes, reads, appends, lists, searches, moves and deletes inside the workspace', async () => {
    const call = fsCaller(f);
    expect(await call('write', { path: '/docs/a.txt', content: 'hello' })).toMatchObject({ ok: true, result: { path: 'docs/a.txt', bytes: 5, created: true } });
    expect(readFileSync(path.join(agent.workspace, 'docs/a.txt'), 'utf8')).toBe('hello');
    expect(await call('append', { path: 'docs/a.txt', content: ' world' })).toMatchObject({ ok: true, result: { size: 11 } });
    expect(await call('read', { path: 'docs/a.txt' })).toMatchObject({ ok: true, result: { content: 'hello world', binary: false } });
    expect(await call('list', { path: 'docs' })).toMatchObject({ ok: true, result: { entries: [{ name: 'a.txt', type: 'file', size: 11 }] } });
    expect(await call('search', { pattern: '*.TXT' })).toMatchObject({ ok: true, result: { matches: [{ path: 'docs/a.txt' }] } });
    expect(await call('move', { from: 'docs/a.txt', to: 'docs/b.txt' })).toMatchObject({ ok: true, result: { to: 'docs/b.txt' } });
    expect(await call('delete', { path: 'docs/b.txt' })).toMatchObject({ ok: true, result: { deleted: true } });
    expect(() => lstatSync(path.join(agent.workspace, 'docs/b.txt'))).toThrow();
    // No temp files left behind by the atomic writes.
    expect(await call('list', { path: 'docs' })).toMatchObject({ ok: true, result: { entries: [] } });
  });

  it('every call goes through the agent as python3 -S -I -c with JSON on stdin, never a shell', async () => {
    const before = agent.calls.length;
    await fsCaller(f)('list', {});
    const call = agent.calls[before]!;
    expect(call.argv.slice(0, 4)).toEqual(['python3', '-S', '-I', '-c']);
    expect(JSON.parse(call.stdin!)).toMatchObject({ op: 'list' });
  });

  it('refuses paths that leave the workspace before reaching the agent', async () => {
    const call = fsCaller(f);
    const before = agent.calls.length;
    for (const p of ['../x', '/../../etc/passwd', 'a/../../b', 'x\0y']) {
      expect(await call('read', { path: p })).toMatchObject({ ok: false, code: 'SS_ERR_TOOL_ARGUMENTS' });
    }
    expect(agent.calls.length).toBe(before);
  });

  it('enforces size limits, the extension allowlist and binary detection from config', async () => {
    const call = fsCaller(f, { max_read_bytes: 10, max_write_bytes: 8, allowed_extensions: ['txt', '.md'] });
    expect(await call('write', { path: 'big.txt', content: '123456789' })).toMatchObject({ ok: false, code: 'too_large' });
    expect(await call('write', { path: 'run.sh', content: 'x' })).toMatchObject({ ok: false, code: 'extension_not_allowed' });
    expect(await call('write', { path: 'ok.md', content: 'fine' })).toMatchObject({ ok: true });
    const small = fsCaller(f, { max_file_bytes: 6 });
    expect(await small('write', { path: 'grow.txt', content: '1234567' })).toMatchObject({ ok: false, code: 'too_large' });
    expect(await small('write', { path: 'grow.txt', content: '1234' })).toMatchObject({ ok: true });
    expect(await small('append', { path: 'grow.txt', content: '567' })).toMatchObject({ ok: false, code: 'too_large' });
    expect(readFileSync(path.join(agent.workspace, 'grow.txt'), 'utf8')).toBe('1234');
    writeFileSync(path.join(agent.workspace, 'large.txt'), 'x'.repeat(50));
    expect(await call('read', { path: 'large.txt' })).toMatchObject({ ok: false, code: 'too_large' });
    writeFileSync(path.join(agent.workspace, 'blob.txt'), Buffer.from([0x89, 0x50, 0x00, 0x01]));
    expect(await fsCaller(f)('read', { path: 'blob.txt' })).toMatchObject({ ok: true, result: { binary: true, content: null, size: 4 } });
  });

  it('refuses to delete a non-empty directory or the root, and to move onto an existing file', async () => {
    const call = fsCaller(f);
    await call('write', { path: 'full/x.txt', content: 'x' });
    expect(await call('delete', { path: 'full' })).toMatchObject({ ok: false, code: 'not_empty' });
    expect(await call('delete', { path: '/' })).toMatchObject({ ok: false, code: 'is_root' });
    await call('write', { path: 'y.txt', content: 'y' });
    expect(await call('move', { from: 'y.txt', to: 'full/x.txt' })).toMatchObject({ ok: false, code: 'exists' });
    expect(await call('move', { from: 'full', to: 'full/inner' })).toMatchObject({ ok: false });
  });

  describe('fs_symlink_scenarios_mcp.jsonl replayed on a real filesystem', () => {
    const rows = readJsonl<{ scenario: string }>('fs_symlink_scenarios_mcp.jsonl');
    it('has a replay for every scenario in the shared file', () => {
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(Object.keys(symlinkScenarios), row.scenario).toContain(row.scenario);
    });
    for (const [i, row] of rows.entries()) {
      it(row.scenario, async () => {
        const scenario = symlinkScenarios[row.scenario]!;
        await scenario(f, `sc${i}`);
      });
    }
  });

  it('no fs_traversal_payloads.jsonl payload reads or writes a canary outside the workspace', async () => {
    const stats = await replayTraversalPayloads(f);
    expect(stats.payloads).toBeGreaterThan(600);
  });
});
