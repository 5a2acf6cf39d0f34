// Runtime detection asks every registered backend in registry order; sandbox.backend and
// require_strong_isolation rule candidates out before anything is started. These cases
// start nothing (no Docker client, and bubblewrap refused or not selected).
import { describe, expect, it } from 'vitest';
import { SANDBOX_BACKENDS } from '../../src/agents/backends/index.js';
import { detectRuntime } from '../../src/agents/runtime-detect.js';

const base = { docker: null, image: 'securesphere-agent:test', timeoutMs: 1_000 };

describe('detectRuntime', () => {
  it('lists every backend\'s candidates in registry order and names why each was ruled out', async () => {
    expect(SANDBOX_BACKENDS.map((b) => b.name)).toEqual(['docker', 'bubblewrap']);
    const onlyBubblewrap = await detectRuntime({ ...base, backend: 'bubblewrap', requireStrong: true });
    expect(onlyBubblewrap.chosen).toBeNull();
    expect(onlyBubblewrap.imagePresent).toBe(false);
    expect(onlyBubblewrap.candidates).toEqual([
      { name: 'runsc', runtime: null, strength: 'strong', status: 'absent', reason: 'sandbox.backend is bubblewrap' },
      { name: 'kata', runtime: null, strength: 'strong', status: 'absent', reason: 'sandbox.backend is bubblewrap' },
      { name: 'runc', runtime: null, strength: 'weak', status: 'absent', reason: 'sandbox.backend is bubblewrap' },
      { name: 'bubblewrap', runtime: null, strength: 'weak', status: 'rejected', reason: 'refused: sandbox.require_strong_isolation is true and this shares the host kernel' },
    ]);
  });

  it('with sandbox.backend docker and no engine client, probes nothing and says so', async () => {
    const onlyDocker = await detectRuntime({ ...base, backend: 'docker', requireStrong: false });
    expect(onlyDocker.chosen).toBeNull();
    expect(onlyDocker.candidates.map((c) => [c.name, c.status, c.reason])).toEqual([
      ['runsc', 'absent', 'no Docker client'],
      ['kata', 'absent', 'no Docker client'],
      ['runc', 'absent', 'no Docker client'],
      ['bubblewrap', 'not-probed', 'sandbox.backend is docker'],
    ]);
  });
});
