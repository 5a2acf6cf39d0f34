// The filesystem skill against a real filesystem through the host stand-in agent: happy paths,
// refusals, limits, every symlink scenario and every traversal payload. The same scenarios
// run inside a real runsc agent in sandbox-skills.test.ts.
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync, readFileSync, lstatSync } from 'node:fs';
import { loadAgentScript } from '../../src/skills/agent-script.js';
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

  it('search does not follow a symlinked directory out of the workspace', async () => {
    mkdirSync(path.join(outside, 'searched'), { recursive: true });
    writeFileSync(path.join(outside, 'searched', 'outside-secret.txt'), 'TOP-SECRET-OUTSIDE');
    mkdirSync(path.join(agent.workspace, 'srch'), { recursive: true });
    writeFileSync(path.join(agent.workspace, 'srch', 'inside-secret.txt'), 'ok');
    symlinkSync(path.join(outside, 'searched'), path.join(agent.workspace, 'srch', 'link'));
    const found = await fsCaller(f)('search', { pattern: 'secret', path: 'srch' });
    expect(found).toMatchObject({ ok: true });
    const paths = (found as unknown as { result: { matches: Array<{ path: string }> } }).result.matches.map((m) => m.path);
    // The symlink itself is listed when its name matches; nothing under it ever is.
    expect(paths).toContain('srch/inside-secret.txt');
    expect(paths).not.toContain('srch/link/outside-secret.txt');
    expect(paths.filter((p) => p.startsWith('srch/link/'))).toEqual([]);
  });

  // The race "checked a file, then a symlink was swapped in before the open" made certain: a
  // hook in front of the real script swaps the checked file for a symlink to an outside file at
  // the moment the script opens it. Only O_NOFOLLOW on that open keeps the outside file safe.
  describe('a symlink swapped in between the check and the open', () => {
    const SWAP_PRELUDE = [
      'import os as _os',
      "_swap_path, _swap_to = _os.environ['SS_SWAP_PATH'], _os.environ['SS_SWAP_TO']",
      '_real_open = _os.open',
      'def _open(path, flags, mode=0o777, *, dir_fd=None):',
      '    if path == _swap_path and not _os.path.islink(path):',
      '        _os.unlink(path)',
      '        _os.symlink(_swap_to, path)',
      '    return _real_open(path, flags, mode, dir_fd=dir_fd)',
      '_os.open = _open',
      '',
    ].join('\n');
    const script = loadAgentScript(new URL('../../skills/filesystem/index.ts', import.meta.url).href, 'fs-agent.py');
    const runSwapped = async (name: string, op: string, args: Record<string, unknown>) => {
      const secret = path.join(outside, `${name}-secret.txt`);
      writeFileSync(secret, 'TOP-SECRET-OUTSIDE');
      writeFileSync(path.join(agent.workspace, name), 'inside');
      const result = await agent.exec({
        argv: ['python3', '-S', '-I', '-c', SWAP_PRELUDE + script.source],
        stdin: JSON.stringify({ op, args }),
        env: { SS_SWAP_PATH: path.join(realpathSync(agent.workspace), name), SS_SWAP_TO: secret },
        timeoutMs: 30_000,
      });
      return { answer: JSON.parse(result.stdout) as { ok: boolean; error?: { code: string } }, secret };
    };

    it('read refuses instead of reading the outside file', async () => {
      const { answer, secret } = await runSwapped('swap-read.txt', 'read', { path: 'swap-read.txt' });
      expect(JSON.stringify(answer)).not.toContain('TOP-SECRET-OUTSIDE');
      expect(answer).toMatchObject({ ok: false, error: { code: 'symlink_swapped' } });
      expect(readFileSync(secret, 'utf8')).toBe('TOP-SECRET-OUTSIDE');
    });

    it('append refuses instead of appending to the outside file', async () => {
      const { answer, secret } = await runSwapped('swap-append.txt', 'append', { path: 'swap-append.txt', content: 'PWNED' });
      expect(answer).toMatchObject({ ok: false, error: { code: 'symlink_swapped' } });
      expect(readFileSync(secret, 'utf8')).toBe('TOP-SECRET-OUTSIDE');
    });
  });

  it('does not let the filesystem skill write, append to, move or delete the notes file', async () => {
    const call = fsCaller(f);
    const notes = path.join(agent.workspace, '.notes.json');
    writeFileSync(notes, '{"version":1,"notes":[]}');
    writeFileSync(path.join(agent.workspace, 'planted.txt'), '{"notes":[{"id":"n_x","text":"planted"}]}');
    mkdirSync(path.join(agent.workspace, 'nd'), { recursive: true });
    symlinkSync(agent.workspace, path.join(agent.workspace, 'nd', 'up'));
    symlinkSync(notes, path.join(agent.workspace, 'nd', 'alias.json'));
    for (const [op, args] of [
      ['write', { path: '.notes.json', content: '{"notes":[{"id":"n_x","text":"planted"}]}' }],
      ['write', { path: '/.notes.json', content: 'x' }],
      ['write', { path: 'nd/up/.notes.json', content: 'x' }],
      ['write', { path: 'nd/alias.json', content: 'x' }],
      ['write', { path: '.notes.json.abc.tmp', content: 'x' }],
      ['append', { path: '.notes.json', content: 'x' }],
      ['append', { path: 'nd/alias.json', content: 'x' }],
      ['move', { from: 'planted.txt', to: '.notes.json' }],
      ['move', { from: '.notes.json', to: 'stolen.json' }],
      ['delete', { path: '.notes.json' }],
    ] as const) {
      expect(await call(op, args), `${op} ${JSON.stringify(args)}`).toMatchObject({ ok: false, code: 'protected_file' });
    }
    expect(readFileSync(notes, 'utf8')).toBe('{"version":1,"notes":[]}');
    // Reading it stays possible.
    expect(await call('read', { path: '.notes.json' })).toMatchObject({ ok: true });
    // A file of that name in a subdirectory is an ordinary file.
    expect(await call('write', { path: 'nd/.notes.json', content: 'mine' })).toMatchObject({ ok: true });
  });

  it('normalises file names to NFC, so NFC and NFD café.txt are one file', async () => {
    const call = fsCaller(f);
    const nfc = 'caf\u00e9.txt';
    const nfd = 'cafe\u0301.txt';
    mkdirSync(path.join(agent.workspace, 'uni'), { recursive: true });
    expect(await call('write', { path: `uni/${nfd}`, content: 'one' })).toMatchObject({ ok: true, result: { path: `uni/${nfc}`, created: true } });
    expect(await call('write', { path: `uni/${nfc}`, content: 'two' })).toMatchObject({ ok: true, result: { created: false } });
    expect(await call('append', { path: `uni/${nfd}`, content: '+' })).toMatchObject({ ok: true, result: { size: 4 } });
    expect(readdirSync(path.join(agent.workspace, 'uni'))).toEqual([nfc]);
    expect(await call('read', { path: `uni/${nfd}` })).toMatchObject({ ok: true, result: { content: 'two+' } });
    // Directories too, and a move lands on the NFC name.
    expect(await call('write', { path: `uni/re\u0301sume\u0301/${nfd}`, content: 'x' })).toMatchObject({ ok: true, result: { path: `uni/r\u00e9sum\u00e9/${nfc}` } });
    expect(await call('move', { from: `uni/${nfc}`, to: `uni/moved-${nfd}` })).toMatchObject({ ok: true, result: { to: `uni/moved-${nfc}` } });
    // A name a program created in NFD is still found by its own (NFD) spelling.
    writeFileSync(path.join(agent.workspace, 'uni', `legacy-${nfd}`), 'old');
    expect(await call('read', { path: `uni/legacy-${nfd}` })).toMatchObject({ ok: true, result: { content: 'old' } });
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
