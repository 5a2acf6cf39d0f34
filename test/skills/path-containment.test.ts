// Every case of ../shared/data/security/fs_path_containment_cases.jsonl, decided by the
// gateway's pure check and (posix cases) by the filesystem skill's in-agent script.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix as posixPath } from 'node:path';
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

/** The case's path as a model would name it in a workspace rooted at `root` (a host-style path). */
function modelPathFor(casePath: string, root: string): string {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  if (casePath === root) return '.';
  if (root !== '/' && casePath.startsWith(prefix)) return casePath.slice(prefix.length);
  // Elsewhere: climb from the root to / with ../, then follow the path as written.
  const climb = '../'.repeat(root.split('/').filter(Boolean).length);
  const written = casePath.startsWith('/') ? casePath.replace(/^\/+/, '') : `${BASE.slice(1)}/${casePath}`;
  return climb + written;
}

describe('path containment (shared cases)', () => {
  it('has the shared cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });

  it('isPathAllowed decides every case as expected', () => {
    const wrong = cases.filter((c) => isPathAllowed(c.path, c.allowed, { base: BASE, platform: c.platform }) !== c.expect_allowed);
    expect(wrong.map((c) => `${c.test}: ${JSON.stringify(c.path)} in ${JSON.stringify(c.allowed)}`)).toEqual([]);
  });

  // Through the in-agent script's REAL operations (no test-only copy of its logic): each case's
  // root becomes a real directory T+root playing the workspace, the case's path is given as the
  // model would give it (relative to that root, climbing out with ../ where it starts elsewhere),
  // and every target exists on disk so a wrong "allowed" would really list it.
  it('the in-agent script decides every posix case as expected through real list operations', async () => {
    const posix = cases.filter((c) => c.platform === 'posix');
    const script = loadAgentScript(new URL('../../skills/filesystem/index.ts', import.meta.url).href, 'fs-agent.py');
    const top = mkdtempSync(join(tmpdir(), 'ss-containment-'));
    try {
      const rootsOf = (c: Case) => {
        const given = c.allowed.filter((r) => r !== '');
        return (given.length > 0 ? given : c.allowed.length === 0 && c.path !== '' ? [BASE] : given).filter((r) => !r.includes('\0')).map((r) => posixPath.resolve(BASE, r));
      };
      // One python process per distinct root, all that root's cases in one batch.
      const byRoot = new Map<string, Array<{ index: number; modelPath: string }>>();
      for (const [index, c] of posix.entries()) {
        if (!c.path.includes('\0')) mkdirSync(join(top, posixPath.resolve(BASE, c.path)), { recursive: true });
        for (const root of rootsOf(c)) {
          const list = byRoot.get(root) ?? [];
          list.push({ index, modelPath: modelPathFor(c.path, root) });
          byRoot.set(root, list);
        }
      }
      const allowed = posix.map(() => false);
      for (const [root, items] of byRoot) {
        const workspace = join(top, root);
        mkdirSync(workspace, { recursive: true });
        const agent = createHostAgentForUnitTests('containment', { workspace });
        const answers = (await runAgentScript(agent, script, { batch: items.map((i) => ({ op: 'list', args: { path: i.modelPath } })) })) as Array<{ ok: boolean; error?: { code: string } }>;
        for (const [k, item] of items.entries()) {
          const a = answers[k]!;
          if (a.ok) allowed[item.index] = true;
          else expect(['outside_workspace', 'invalid_path'], `${posix[item.index]!.test}: ${JSON.stringify(a)}`).toContain(a.error?.code);
        }
      }
      const wrong = posix.filter((c, i) => allowed[i] !== c.expect_allowed);
      expect(wrong.map((c) => `${c.test}: ${JSON.stringify(c.path)} in ${JSON.stringify(c.allowed)}`)).toEqual([]);
    } finally {
      rmSync(top, { recursive: true, force: true });
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
