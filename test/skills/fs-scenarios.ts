// The symlink scenarios of ../shared/data/security/fs_symlink_scenarios_mcp.jsonl, each turned
// into a concrete replay on a real filesystem through the filesystem skill. Used by the unit
// test (host stand-in agent) and the sandbox test (real runsc agent). Every scenario checks
// the outside file's content afterwards, not only the skill's answer.
import { expect } from 'vitest';
import filesystemSkill from '../../skills/filesystem/index.js';
import { AgentScriptRefusal } from '../../src/skills/agent-script.js';
import type { AgentFsFixture } from './agent-fs-fixture.js';

export type FsOutcome = { ok: true; result: Record<string, unknown> } | { ok: false; code: string; message: string };

export function fsCaller(f: AgentFsFixture, config: Record<string, unknown> = {}) {
  return async (op: string, args: Record<string, unknown>): Promise<FsOutcome> => {
    const ctx = { conversationId: 'c1', actionId: 'a1', agent: f.agent, secrets: {}, config, signal: new AbortController().signal };
    try {
      return { ok: true, result: (await filesystemSkill.execute(ctx, op, args)) as Record<string, unknown> };
    } catch (err) {
      if (err instanceof AgentScriptRefusal) return { ok: false, code: err.reason, message: err.message };
      const e = err as { code?: string; message: string };
      return { ok: false, code: String(e.code), message: e.message };
    }
  };
}

type Scenario = (f: AgentFsFixture, d: string) => Promise<void>;

const SECRET = 'TOP-SECRET-OUTSIDE';

async function outsideUnchanged(f: AgentFsFixture, name: string, content = SECRET): Promise<void> {
  const p = `${f.outside}/${name}`;
  expect((await f.probe([p]))[p]).toEqual({ exists: true, symlink: false, content });
}

async function outsideAbsent(f: AgentFsFixture, name: string): Promise<void> {
  const p = `${f.outside}/${name}`;
  expect((await f.probe([p]))[p]?.exists).toBe(false);
}

function refused(outcome: FsOutcome): void {
  expect(outcome.ok, JSON.stringify(outcome)).toBe(false);
}

/** d is a fresh directory name, relative to the workspace, for this scenario. */
export const symlinkScenarios: Record<string, Scenario> = {
  'validates symlink handling': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'write', path: `${f.outside}/${d}.txt`, content: SECRET }, { kind: 'symlink', path: `${f.ws}/${d}/link`, target: `${f.outside}/${d}.txt` }]);
    const call = fsCaller(f);
    const r = await call('read', { path: `${d}/link` });
    refused(r);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  },
  'handles non-existent paths correctly': async (f, d) => {
    const call = fsCaller(f);
    const r = await call('read', { path: `${d}/missing/file.txt` });
    expect(r).toMatchObject({ ok: false, code: 'not_found' });
    expect(await call('write', { path: `${d}/new/dir/file.txt`, content: 'x' })).toMatchObject({ ok: true });
  },
  'validates symlinked files consistently between path and resolved forms': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'write', path: `${f.ws}/${d}/real.txt`, content: 'inside' }, { kind: 'symlink', path: `${f.ws}/${d}/alias.txt`, target: `${f.ws}/${d}/real.txt` }]);
    const call = fsCaller(f);
    const a = await call('read', { path: `${d}/real.txt` });
    const b = await call('read', { path: `${d}/alias.txt` });
    expect(a).toMatchObject({ ok: true, result: { content: 'inside', path: `${d}/real.txt` } });
    expect(b).toMatchObject({ ok: true, result: { content: 'inside', path: `${d}/real.txt` } });
  },
  'validates paths correctly when allowed directory is resolved from symlink': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}/realdir` }, { kind: 'write', path: `${f.ws}/${d}/realdir/f.txt`, content: 'ok' }, { kind: 'symlink', path: `${f.ws}/${d}/dirlink`, target: `${f.ws}/${d}/realdir` }]);
    const call = fsCaller(f);
    expect(await call('read', { path: `${d}/dirlink/f.txt` })).toMatchObject({ ok: true, result: { content: 'ok' } });
    expect(await call('list', { path: `${d}/dirlink` })).toMatchObject({ ok: true, result: { entries: [{ name: 'f.txt', type: 'file' }] } });
  },
  'allows paths through both original and resolved symlink directories': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}/realdir` }, { kind: 'symlink', path: `${f.ws}/${d}/dirlink`, target: 'realdir' }]);
    const call = fsCaller(f);
    expect(await call('write', { path: `${d}/dirlink/a.txt`, content: 'A' })).toMatchObject({ ok: true, result: { path: `${d}/realdir/a.txt` } });
    expect(await call('read', { path: `${d}/realdir/a.txt` })).toMatchObject({ ok: true, result: { content: 'A' } });
  },
  'resolves nested symlink chains completely': async (f, d) => {
    await f.setup([
      { kind: 'mkdir', path: `${f.ws}/${d}` },
      { kind: 'write', path: `${f.outside}/${d}.txt`, content: SECRET },
      { kind: 'symlink', path: `${f.ws}/${d}/l3`, target: `${f.outside}/${d}.txt` },
      { kind: 'symlink', path: `${f.ws}/${d}/l2`, target: 'l3' },
      { kind: 'symlink', path: `${f.ws}/${d}/l1`, target: 'l2' },
      { kind: 'write', path: `${f.ws}/${d}/in.txt`, content: 'in' },
      { kind: 'symlink', path: `${f.ws}/${d}/m2`, target: 'in.txt' },
      { kind: 'symlink', path: `${f.ws}/${d}/m1`, target: 'm2' },
    ]);
    const call = fsCaller(f);
    refused(await call('read', { path: `${d}/l1` }));
    refused(await call('write', { path: `${d}/l1`, content: 'PWNED' }));
    await outsideUnchanged(f, `${d}.txt`);
    expect(await call('read', { path: `${d}/m1` })).toMatchObject({ ok: true, result: { content: 'in' } });
  },
  'validates non-existent file paths based on parent directory': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'mkdir', path: `${f.outside}/${d}` }, { kind: 'symlink', path: `${f.ws}/${d}/out`, target: `${f.outside}/${d}` }]);
    const call = fsCaller(f);
    refused(await call('write', { path: `${d}/out/new.txt`, content: 'PWNED' }));
    refused(await call('append', { path: `${d}/out/new.txt`, content: 'PWNED' }));
    await outsideAbsent(f, `${d}/new.txt`);
  },
  'demonstrates symlink race condition allows writing outside allowed directories': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'write', path: `${f.outside}/${d}.txt`, content: SECRET }, { kind: 'symlink', path: `${f.ws}/${d}/race.txt`, target: `${f.outside}/${d}.txt` }]);
    const call = fsCaller(f);
    refused(await call('write', { path: `${d}/race.txt`, content: 'PWNED' }));
    await outsideUnchanged(f, `${d}.txt`);
  },
  'shows timing differences between validation approaches': async (f, d) => {
    // A path that is inside lexically but outside once resolved must be refused.
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'mkdir', path: `${f.outside}/${d}` }, { kind: 'write', path: `${f.outside}/${d}/s.txt`, content: SECRET }, { kind: 'symlink', path: `${f.ws}/${d}/out`, target: `${f.outside}/${d}` }]);
    const call = fsCaller(f);
    const r = await call('read', { path: `${d}/out/s.txt` });
    expect(r).toMatchObject({ ok: false, code: 'outside_workspace' });
  },
  'validates directory creation timing': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'mkdir', path: `${f.outside}/${d}` }, { kind: 'symlink', path: `${f.ws}/${d}/out`, target: `${f.outside}/${d}` }]);
    const call = fsCaller(f);
    expect(await call('write', { path: `${d}/a/b/c.txt`, content: 'deep' })).toMatchObject({ ok: true });
    refused(await call('write', { path: `${d}/out/sub/c.txt`, content: 'PWNED' }));
    await outsideAbsent(f, `${d}/sub`);
  },
  'demonstrates exclusive file creation behavior': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'mkdir', path: `${f.outside}/${d}` }, { kind: 'symlink', path: `${f.ws}/${d}/dangling`, target: `${f.outside}/${d}/created.txt` }]);
    const call = fsCaller(f);
    refused(await call('write', { path: `${d}/dangling`, content: 'PWNED' }));
    refused(await call('append', { path: `${d}/dangling`, content: 'PWNED' }));
    await outsideAbsent(f, `${d}/created.txt`);
  },
  'should use resolved parent paths for non-existent files': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}/realdir` }, { kind: 'symlink', path: `${f.ws}/${d}/in`, target: `${f.ws}/${d}/realdir` }]);
    const call = fsCaller(f);
    expect(await call('write', { path: `${d}/in/new.txt`, content: 'n' })).toMatchObject({ ok: true, result: { path: `${d}/realdir/new.txt` } });
    const p = `${f.ws}/${d}/realdir/new.txt`;
    expect((await f.probe([p]))[p]).toEqual({ exists: true, symlink: false, content: 'n' });
  },
  'demonstrates parent directory symlink traversal': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'mkdir', path: `${f.outside}/${d}` }, { kind: 'write', path: `${f.outside}/${d}/s.txt`, content: SECRET }, { kind: 'symlink', path: `${f.ws}/${d}/up`, target: '../'.repeat(12) + f.outside.replace(/^\//, '') + `/${d}` }]);
    const call = fsCaller(f);
    refused(await call('read', { path: `${d}/up/s.txt` }));
    refused(await call('list', { path: `${d}/up` }));
    refused(await call('search', { pattern: 's', path: `${d}/up` }));
    refused(await call('delete', { path: `${d}/up/s.txt` }));
    await outsideUnchanged(f, `${d}/s.txt`);
  },
  'should prevent race condition between validatePath and file operation': async (f, d) => {
    // Writes go to a fresh temp file renamed over the target: a symlink swapped in at the
    // target is replaced, never written through; moving onto an existing entry is refused.
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'write', path: `${f.outside}/${d}.txt`, content: SECRET }, { kind: 'write', path: `${f.ws}/${d}/src.txt`, content: 's' }, { kind: 'symlink', path: `${f.ws}/${d}/swapped`, target: `${f.outside}/${d}.txt` }]);
    const call = fsCaller(f);
    refused(await call('move', { from: `${d}/src.txt`, to: `${d}/swapped` }));
    refused(await call('write', { path: `${d}/swapped`, content: 'PWNED' }));
    await outsideUnchanged(f, `${d}.txt`);
  },
  'should allow overwrites to legitimate files within allowed directories': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'write', path: `${f.ws}/${d}/legit.txt`, content: 'old' }]);
    const call = fsCaller(f);
    expect(await call('write', { path: `${d}/legit.txt`, content: 'new' })).toMatchObject({ ok: true, result: { created: false } });
    expect(await call('read', { path: `${d}/legit.txt` })).toMatchObject({ ok: true, result: { content: 'new' } });
  },
  'should handle symlinks that point within allowed directories': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'write', path: `${f.ws}/${d}/real.txt`, content: 'old' }, { kind: 'symlink', path: `${f.ws}/${d}/alias.txt`, target: 'real.txt' }]);
    const call = fsCaller(f);
    expect(await call('write', { path: `${d}/alias.txt`, content: 'via alias' })).toMatchObject({ ok: true });
    const [alias, real] = [`${f.ws}/${d}/alias.txt`, `${f.ws}/${d}/real.txt`];
    const probes = await f.probe([alias, real]);
    expect(probes[alias]?.symlink).toBe(true);
    expect(probes[real]).toEqual({ exists: true, symlink: false, content: 'via alias' });
  },
  'should prevent overwriting files through symlinks pointing outside allowed directories': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'write', path: `${f.outside}/${d}.txt`, content: SECRET }, { kind: 'symlink', path: `${f.ws}/${d}/evil.txt`, target: `${f.outside}/${d}.txt` }]);
    const call = fsCaller(f);
    refused(await call('write', { path: `${d}/evil.txt`, content: 'PWNED' }));
    refused(await call('append', { path: `${d}/evil.txt`, content: 'PWNED' }));
    await outsideUnchanged(f, `${d}.txt`);
    // Deleting the link removes the link itself, never the outside file.
    expect(await call('delete', { path: `${d}/evil.txt` })).toMatchObject({ ok: true, result: { type: 'symlink' } });
    await outsideUnchanged(f, `${d}.txt`);
  },
  'demonstrates race condition in read operations': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'write', path: `${f.outside}/${d}.txt`, content: SECRET }, { kind: 'write', path: `${f.ws}/${d}/r.txt`, content: 'fine' }]);
    const call = fsCaller(f);
    expect(await call('read', { path: `${d}/r.txt` })).toMatchObject({ ok: true, result: { content: 'fine' } });
    await f.setup([{ kind: 'symlink', path: `${f.ws}/${d}/r.txt`, target: `${f.outside}/${d}.txt` }]);
    const r = await call('read', { path: `${d}/r.txt` });
    refused(r);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  },
  'verifies rename does not follow symlinks': async (f, d) => {
    await f.setup([{ kind: 'mkdir', path: `${f.ws}/${d}` }, { kind: 'write', path: `${f.outside}/${d}.txt`, content: SECRET }, { kind: 'symlink', path: `${f.ws}/${d}/link`, target: `${f.outside}/${d}.txt` }]);
    const call = fsCaller(f);
    expect(await call('move', { from: `${d}/link`, to: `${d}/moved` })).toMatchObject({ ok: true });
    const moved = `${f.ws}/${d}/moved`;
    expect((await f.probe([moved]))[moved]?.symlink).toBe(true);
    await outsideUnchanged(f, `${d}.txt`);
    refused(await call('read', { path: `${d}/moved` }));
  },
};
