// shell, code and notes through the host stand-in agent: answers, limits, invalid arguments,
// and the shell injection payloads. The same run inside real agents in sandbox-skills.test.ts.
import { mkdtempSync, rmSync, existsSync, lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import codeSkill from '../../skills/code/index.js';
import notesSkill from '../../skills/notes/index.js';
import shellSkill from '../../skills/shell/index.js';
import type { SkillContext } from '../../src/skills/skill.js';
import { agentFsFixture } from './agent-fs-fixture.js';
import { createHostAgentForUnitTests, type HostAgentForUnitTests } from './host-agent-for-unit-tests.js';
import { replayShellPayloads } from './shell-injection-replay.js';

let agent: HostAgentForUnitTests;
let outside: string;
const ctx = (config: Record<string, unknown> = {}): SkillContext => ({ conversationId: 'c1', actionId: 'a1', agent, secrets: {}, config, signal: new AbortController().signal });

beforeAll(() => {
  agent = createHostAgentForUnitTests();
  outside = mkdtempSync(path.join(tmpdir(), 'ss-outside-'));
});
afterAll(() => {
  agent.dispose();
  rmSync(outside, { recursive: true, force: true });
});

describe('shell skill', () => {
  it('runs argv without a shell and answers exit code, output and duration', async () => {
    const r = await shellSkill.execute(ctx(), 'run', { argv: ['node', '-e', 'console.log(process.argv[1]); console.error("e"); process.exit(3)', 'a;b|c $(x)'] });
    expect(r).toMatchObject({ exit_code: 3, stdout: 'a;b|c $(x)\n', stderr: 'e\n', truncated: false, limit: null });
    expect(typeof (r as { duration_ms: number }).duration_ms).toBe('number');
  });

  it('runs in a workspace subdirectory and refuses a cwd outside it', async () => {
    await shellSkill.execute(ctx(), 'run', { argv: ['mkdir', '-p', 'sub'] });
    const r = (await shellSkill.execute(ctx(), 'run', { argv: ['pwd'], cwd: '/sub' })) as { stdout: string };
    expect(r.stdout.trim()).toBe(path.join(agent.workspace, 'sub'));
    await expect(shellSkill.execute(ctx(), 'run', { argv: ['pwd'], cwd: '../..' })).rejects.toMatchObject({ code: 'SS_ERR_TOOL_ARGUMENTS' });
  });

  it('script uses sh -c and is its own critical operation', async () => {
    const r = await shellSkill.execute(ctx(), 'script', { script: 'echo one | tr a-z A-Z; exit 4' });
    expect(r).toMatchObject({ exit_code: 4, stdout: 'ONE\n' });
    expect(shellSkill.manifest.operations.script!.level).toBe('critical');
    expect(shellSkill.manifest.operations.run!.level).toBe('high');
  });

  it('reports the timeout and output-cap limits', async () => {
    const slow = await shellSkill.execute(ctx(), 'run', { argv: ['sleep', '5'], timeout_ms: 300 });
    expect(slow).toMatchObject({ limit: 'timeout' });
    const loud = await shellSkill.execute(ctx({ output_cap_bytes: 1000 }), 'run', { argv: ['node', '-e', 'process.stdout.write("x".repeat(5000))'] });
    expect(loud).toMatchObject({ truncated: true });
    expect((loud as { stdout: string }).stdout.length).toBeLessThan(5000);
  });

  it('clamps a requested timeout to the configured maximum', async () => {
    await shellSkill.execute(ctx({ max_timeout_ms: 2000 }), 'run', { argv: ['true'], timeout_ms: 600_000 });
    expect(agent.calls.at(-1)!.timeoutMs).toBe(2000);
  });

  it('rejects invalid arguments at the schema', () => {
    const run = shellSkill.manifest.operations.run!.input;
    expect(run.safeParse({ argv: [] }).success).toBe(false);
    expect(run.safeParse({ argv: 'ls -la' }).success).toBe(false);
    expect(run.safeParse({ argv: ['ls'], extra: 1 }).success).toBe(false);
    expect(run.safeParse({ argv: ['a\0b'] }).success).toBe(false);
    expect(run.safeParse({ argv: ['ls'], timeout_ms: -1 }).success).toBe(false);
    expect(run.safeParse({ argv: ['ls', '-la'], cwd: 'src', stdin: 'x', timeout_ms: 1000 }).success).toBe(true);
  });

  it('no shell_cmd_injection_payloads.jsonl payload passed as an argv argument starts a process', async () => {
    const stats = await replayShellPayloads(agentFsFixture(agent, agent.workspace, outside));
    expect(stats.payloads).toBeGreaterThan(250);
    expect(existsSync(path.join(outside, 'shell-canary.log'))).toBe(false);
  });
});

describe('code skill', () => {
  it('runs javascript and python with stdin', async () => {
    const js = await codeSkill.execute(ctx(), 'run', { language: 'javascript', source: 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(s.toUpperCase()))', stdin: 'hi' });
    expect(js).toMatchObject({ language: 'javascript', exit_code: 0, stdout: 'HI\n' });
    const py = await codeSkill.execute(ctx(), 'run', { language: 'python', source: 'import sys; print(sum(int(x) for x in sys.stdin.read().split()))', stdin: '1 2 3' });
    expect(py).toMatchObject({ language: 'python', exit_code: 0, stdout: '6\n' });
  });

  it('reports errors and timeouts, and validates arguments', async () => {
    const bad = await codeSkill.execute(ctx(), 'run', { language: 'python', source: 'raise SystemExit(7)' });
    expect(bad).toMatchObject({ exit_code: 7 });
    const slow = await codeSkill.execute(ctx(), 'run', { language: 'javascript', source: 'setTimeout(()=>{}, 10000)', timeout_ms: 300 });
    expect(slow).toMatchObject({ limit: 'timeout' });
    const input = codeSkill.manifest.operations.run!.input;
    expect(input.safeParse({ language: 'ruby', source: 'x' }).success).toBe(false);
    expect(input.safeParse({ language: 'python', source: '' }).success).toBe(false);
    expect(input.safeParse({ language: 'python', source: 'é'.repeat(70_000) }).success).toBe(false);
  });
});

describe('notes skill', () => {
  it('remembers, recalls by words, and forgets, in /workspace/.notes.json', async () => {
    const a = (await notesSkill.execute(ctx(), 'remember', { text: 'The deploy key lives in vault' })) as { note: { id: string } };
    await notesSkill.execute(ctx(), 'remember', { text: 'Lunch is at noon' });
    expect(a.note.id).toMatch(/^n_[0-9a-f]{10}$/);
    expect(JSON.parse(readFileSync(path.join(agent.workspace, '.notes.json'), 'utf8')).notes).toHaveLength(2);
    const hits = (await notesSkill.execute(ctx(), 'recall', { query: 'deploy VAULT' })) as { notes: Array<{ text: string }>; total: number };
    expect(hits.total).toBe(1);
    expect(hits.notes[0]!.text).toBe('The deploy key lives in vault');
    expect(await notesSkill.execute(ctx(), 'recall', {})).toMatchObject({ total: 2 });
    expect(await notesSkill.execute(ctx(), 'forget', { id: a.note.id })).toMatchObject({ forgotten: true, count: 1 });
    expect(await notesSkill.execute(ctx(), 'forget', { id: a.note.id })).toMatchObject({ forgotten: false });
  });

  it('never follows a symlink planted at .notes.json, and recovers from it or a corrupt file by setting it aside', async () => {
    const file = path.join(agent.workspace, '.notes.json');
    const target = path.join(agent.workspace, 'elsewhere.json');
    const original = readFileSync(file, 'utf8');
    const setAside = () => readdirSync(agent.workspace).filter((n) => n.startsWith('.notes.json.corrupt-'));
    rmSync(file);
    writeFileSync(target, '{"notes":[]}');
    symlinkSync(target, file);
    const first = (await notesSkill.execute(ctx(), 'remember', { text: 'follow me' })) as { count: number; set_aside: string; warning: string };
    expect(first).toMatchObject({ count: 1, set_aside: expect.stringMatching(/^\.notes\.json\.corrupt-/) });
    expect(first.warning).toContain('symlink');
    // The symlink itself was moved aside (still pointing where it did); its target is untouched.
    expect(lstatSync(path.join(agent.workspace, first.set_aside)).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('{"notes":[]}');
    expect(lstatSync(file).isFile()).toBe(true);
    expect(await notesSkill.execute(ctx(), 'recall', {})).toMatchObject({ total: 1, notes: [{ text: 'follow me' }] });

    writeFileSync(file, '{"notes": [oops');
    const recalled = (await notesSkill.execute(ctx(), 'recall', {})) as { total: number; set_aside: string; warning: string };
    expect(recalled).toMatchObject({ total: 0 });
    expect(recalled.warning).toContain('not a valid notes file');
    // The bad file is kept, byte for byte, for a person to look at; the skill works again.
    expect(readFileSync(path.join(agent.workspace, recalled.set_aside), 'utf8')).toBe('{"notes": [oops');
    expect(await notesSkill.execute(ctx(), 'remember', { text: 'after recovery' })).toMatchObject({ count: 1 });
    expect(await notesSkill.execute(ctx(), 'recall', {})).not.toHaveProperty('set_aside');
    expect(setAside()).toHaveLength(2);
    for (const name of setAside()) rmSync(path.join(agent.workspace, name));
    writeFileSync(file, original);
    rmSync(target);
  });

  it('enforces the note limit and validates ids', async () => {
    await expect(notesSkill.execute(ctx({ max_notes: 1 }), 'remember', { text: 'one too many' })).rejects.toMatchObject({ reason: 'too_many_notes' });
    expect(notesSkill.manifest.operations.forget!.input.safeParse({ id: '../x' }).success).toBe(false);
  });
});
