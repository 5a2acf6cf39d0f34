// `securesphere skills list|show` through a real commander program (in process).
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { formatSkillDetail, formatSkillList, registerSkillCommands } from '../../src/cli/commands/skills.js';
import { loadSkills } from '../../src/skills/loader.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

async function runCli(args: string[]): Promise<{ out: string; err: string; exitCode: number | undefined }> {
  const program = new Command('securesphere').exitOverride();
  registerSkillCommands(program, () => loadSkills({ extraDirs: [FIXTURES] }));
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    console.log = log;
    console.error = error;
  }
  const exitCode = process.exitCode as number | undefined;
  process.exitCode = undefined;
  return { out: out.join('\n'), err: err.join('\n'), exitCode };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('skills CLI', () => {
  it('lists loaded skills with operation levels and the refused folders with reasons', async () => {
    const r = await runCli(['skills', 'list']);
    expect(r.out).toMatch(/^filesystem 1\.0\.0 /m);
    expect(r.out).toContain('delete(high)');
    expect(r.out).toContain('script(critical)');
    expect(r.out).toMatch(/^good-extra 0\.1\.0/m);
    expect(r.out).toMatch(/REFUSED .*bad-manifest\/index\.ts: invalid manifest/);
    expect(r.exitCode).toBe(1);
  });

  it('shows one skill with argument schemas, levels and sandbox needs', async () => {
    const r = await runCli(['skills', 'show', 'good-extra']);
    expect(r.out).toContain('good-extra_echo_back  [level low]');
    expect(r.out).toContain('network (egress proxy): api.example.com');
    expect(r.out).toContain('secrets: GOOD_TOKEN');
    expect(r.out).toContain('"text":{"type":"string"}');
  });

  it('says so for an unknown (or hostile) name', async () => {
    for (const name of ['nope', '__proto__', 'constructor']) {
      const r = await runCli(['skills', 'show', name]);
      expect(r.err).toContain(`no skill named "${name}"`);
      expect(r.exitCode).toBe(1);
    }
  });

  it('formats without a program too', async () => {
    const loaded = await loadSkills();
    expect(formatSkillList(loaded)).not.toContain('REFUSED');
    expect(formatSkillDetail(loaded.skills.shell!)).toContain('shell_run  [level high; higher for some arguments, see the skill README]');
    expect(formatSkillDetail(loaded.skills.shell!)).toContain('shell_script  [level critical]');
  });
});
