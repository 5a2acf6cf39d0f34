import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSkills, resolveAction, resolveTool, toolDefinitions } from '../../src/skills/loader.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const BUILTIN = ['code', 'filesystem', 'http', 'notes', 'shell'];

describe('skill loader', () => {
  it('loads every built-in skill from the default directory', async () => {
    const { skills, errors } = await loadSkills();
    expect(errors).toEqual([]);
    expect(Object.keys(skills).sort()).toEqual(BUILTIN);
    expect(Object.getPrototypeOf(skills)).toBeNull();
  });

  it('refuses bad skill folders with the file and the reason while the others load', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const { skills, errors } = await loadSkills({ extraDirs: [FIXTURES], logger: { warn: (d) => warnings.push(d) } });
    expect(Object.keys(skills).sort()).toEqual([...BUILTIN, 'good-extra'].sort());
    const byDir = Object.fromEntries(errors.map((e) => [e.dir.split('/').pop(), e]));
    expect(Object.keys(byDir).sort()).toEqual(['bad-manifest', 'import-fails', 'misnamed', 'no-execute']);
    expect(byDir['misnamed']!.reason).toContain('does not match the folder name');
    expect(byDir['bad-manifest']!.file).toMatch(/fixtures\/bad-manifest\/index\.ts$/);
    expect(byDir['bad-manifest']!.reason).toMatch(/^invalid manifest: /);
    expect(byDir['bad-manifest']!.reason).toContain('name:');
    expect(byDir['bad-manifest']!.reason).toContain('operations.go.level');
    expect(byDir['bad-manifest']!.reason).toContain('operations.go.input');
    expect(byDir['import-fails']!.reason).toContain('fixture refuses to import');
    expect(byDir['no-execute']!.reason).toContain('execute');
    expect(warnings).toHaveLength(4);
  });

  it('refuses a second skill with a name already loaded', async () => {
    const builtin = fileURLToPath(new URL('../../skills/', import.meta.url));
    const { skills, errors } = await loadSkills({ extraDirs: [builtin] });
    expect(Object.keys(skills).sort()).toEqual(BUILTIN);
    expect(errors).toHaveLength(BUILTIN.length);
    expect(errors[0]!.reason).toContain('duplicate skill name');
  });

  it('loads only the enabled skills when a list is given', async () => {
    const { skills, errors } = await loadSkills({ enabled: ['notes', 'filesystem'], extraDirs: [FIXTURES] });
    expect(Object.keys(skills).sort()).toEqual(['filesystem', 'notes']);
    // Disabled folders are not even imported: the throwing fixture does not show up.
    expect(errors).toEqual([]);
  });

  it('produces one tool per operation with object JSON Schemas, names <skill>_<operation>', async () => {
    const { skills } = await loadSkills();
    const tools = toolDefinitions(skills);
    const names = tools.map((t) => t.name);
    for (const expected of ['filesystem_list', 'filesystem_read', 'filesystem_write', 'filesystem_append', 'filesystem_delete', 'filesystem_move', 'filesystem_search', 'shell_run', 'shell_script', 'code_run', 'http_request', 'notes_remember', 'notes_recall', 'notes_forget']) {
      expect(names).toContain(expected);
    }
    expect(tools).toHaveLength(14);
    for (const tool of tools) {
      expect(tool.parameters.type).toBe('object');
      expect(tool.parameters.$schema).toBeUndefined();
    }
    const run = tools.find((t) => t.name === 'shell_run')!;
    expect(run.parameters).toMatchObject({ required: ['argv'], properties: { argv: { type: 'array', items: { type: 'string' } } } });
  });

  it('declares the levels the issue asks for', async () => {
    const { skills } = await loadSkills();
    const level = (tool: string) => resolveTool(skills, tool)?.operation.level;
    expect([level('filesystem_read'), level('filesystem_list'), level('filesystem_search')]).toEqual(['low', 'low', 'low']);
    expect([level('filesystem_write'), level('filesystem_append'), level('filesystem_move')]).toEqual(['medium', 'medium', 'medium']);
    expect(level('filesystem_delete')).toBe('high');
    expect(level('shell_run')).toBe('high');
    expect(level('shell_script')).toBe('critical');
    // Arbitrary code in the agent: the same level as shell.script (skills/shell/README.md says why).
    expect(level('code_run')).toBe('critical');
    expect(level('http_request')).toBe('medium');
    expect([level('notes_remember'), level('notes_recall'), level('notes_forget')]).toEqual(['low', 'low', 'low']);
  });

  it('resolves real tool names and nothing for hostile ones', async () => {
    const { skills } = await loadSkills();
    const hit = resolveTool(skills, 'filesystem_read');
    expect(hit?.skillName).toBe('filesystem');
    expect(hit?.operationName).toBe('read');
    expect(hit?.manifest.name).toBe('filesystem');
    expect(hit?.operation.input.safeParse({ path: 'a.txt' }).success).toBe(true);
    expect(hit?.operation.input.safeParse({ path: 1 }).success).toBe(false);
    for (const name of ['__proto__', 'constructor', 'toString', 'filesystem___proto__', 'filesystem_constructor', 'filesystem_hasOwnProperty', '__proto___read', 'constructor_name', 'filesystem', 'filesystem_', '_read', 'filesystem_read ', 'FILESYSTEM_READ', 'nope_read', 'shell_run_x', 'filesystem_valueOf', 'x'.repeat(500)]) {
      expect(resolveTool(skills, name), name).toBeUndefined();
    }
    expect(resolveTool(skills, 42 as unknown as string)).toBeUndefined();
    expect(resolveAction(skills, 'notes', 'recall')?.operationName).toBe('recall');
    expect(resolveAction(skills, '__proto__', 'toString')).toBeUndefined();
    expect(resolveAction(skills, 'notes', '__proto__')).toBeUndefined();
  });
});
