// Reading the host knob that decides ~70 ms of every cold gVisor start.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readHostTuning } from '../../src/agents/host-tuning.js';

describe('host tuning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'securesphere-tuning-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (text: string): string => {
    const p = join(dir, `rcu-${text.trim() || 'empty'}`);
    writeFileSync(p, text);
    return p;
  };

  it('reports expedited RCU on with no advice, off with what to do, and a missing knob as unknown', () => {
    expect(readHostTuning(file('1\n'))).toEqual({ rcuExpedited: true, advice: null });
    const off = readHostTuning(file('0\n'));
    expect(off.rcuExpedited).toBe(false);
    expect(off.advice).toMatch(/~70 ms slower.*setup-sandbox\.sh/);
    expect(readHostTuning(join(dir, 'absent'))).toEqual({ rcuExpedited: null, advice: null });
  });
});
