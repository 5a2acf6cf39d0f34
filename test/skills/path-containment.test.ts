// Every case of ../shared/data/security/fs_path_containment_cases.jsonl, decided by the
// gateway's pure check and (posix cases) by the filesystem skill's in-agent script.
import { describe, expect, it } from 'vitest';
import { loadAgentScript, runAgentScript } from '../../src/skills/agent-script.js';
import { isPathAllowed, toWorkspacePath } from '../../src/skills/path-containment.js';
import { createHostAgentForUnitTests } from './host-agent-for-unit-tests.js';
import { readJsonl } from './shared-data.js';

interface Case { path: string; allowed: string[]; expect_allowed: boolean; platform: 'posix' | 'win32'; test: string }

const cases = readJsonl<Case>('fs_path_containment_cases.jsonl');
// Relative paths in the cases were resolved against the test process's cwd, which was also
// the allowed root when none other was given; `base` plays that directory here.
const BASE = '/srv/securesphere-test-cwd';

describe('path containment (shared cases)', () => {
  it('has the shared cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });

  it('isPathAllowed decides every case as expected', () => {
    const wrong = cases.filter((c) => isPathAllowed(c.path, c.allowed, { base: BASE, platform: c.platform }) !== c.expect_allowed);
    expect(wrong.map((c) => `${c.test}: ${JSON.stringify(c.path)} in ${JSON.stringify(c.allowed)}`)).toEqual([]);
  });

  it('the in-agent script decides every posix case as expected', async () => {
    const posix = cases.filter((c) => c.platform === 'posix');
    const agent = createHostAgentForUnitTests();
    try {
      const script = loadAgentScript(new URL('../../skills/filesystem/index.ts', import.meta.url).href, 'fs-agent.py');
      const decisions = (await runAgentScript(agent, script, { op: 'check', args: { cases: posix.map((c) => ({ path: c.path, roots: c.allowed, base: BASE })) } })) as boolean[];
      const wrong = posix.filter((c, i) => decisions[i] !== c.expect_allowed);
      expect(wrong.map((c) => `${c.test}: ${JSON.stringify(c.path)}`)).toEqual([]);
    } finally {
      agent.dispose();
    }
  });

  it('compares whole segments and refuses NUL, never a string prefix', () => {
    expect(isPathAllowed('/workspace2', ['/workspace'])).toBe(false);
    expect(isPathAllowed('/workspace/../workspace2/x', ['/workspace'])).toBe(false);
    expect(isPathAllowed('/workspace/a', ['/workspace'])).toBe(true);
    expect(isPathAllowed('/workspace/a\0', ['/workspace'])).toBe(false);
    expect(isPathAllowed('a', [])).toBe(false);
  });

  it('maps model paths onto the workspace: leading / is the workspace root', () => {
    expect(toWorkspacePath('/etc/passwd')).toEqual({ ok: true, path: '/workspace/etc/passwd', relative: 'etc/passwd' });
    expect(toWorkspacePath('/')).toEqual({ ok: true, path: '/workspace', relative: '.' });
    expect(toWorkspacePath('a/./b//c')).toMatchObject({ ok: true, path: '/workspace/a/b/c' });
    expect(toWorkspacePath('../workspace2')).toEqual({ ok: false, reason: 'path leaves the workspace' });
    expect(toWorkspacePath('a/../../x')).toMatchObject({ ok: false });
    expect(toWorkspacePath('a\0b')).toEqual({ ok: false, reason: 'path contains a NUL byte' });
    expect(toWorkspacePath(5)).toMatchObject({ ok: false });
  });
});
