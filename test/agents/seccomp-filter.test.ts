// The bubblewrap seccomp filter: its syscall numbers are this machine's (asm/unistd_64.h from
// linux-libc-dev, installed with libc6-dev by setup), and the program is well-formed BPF.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { X86_64_CLONE, X86_64_CLONE3, X86_64_DENIED, X86_64_PERSONALITY, bubblewrapSeccomp } from '../../src/agents/backends/bubblewrap/seccomp-filter.js';

describe.runIf(process.arch === 'x64')('bubblewrap seccomp filter', () => {
  it('uses the syscall numbers of the host header', () => {
    const header = readFileSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h', 'utf8');
    const nr = (name: string): number => Number(new RegExp(`^#define __NR_${name} (\\d+)$`, 'm').exec(header)?.[1] ?? NaN);
    for (const [name, value] of Object.entries(X86_64_DENIED)) expect([name, value]).toEqual([name, nr(name)]);
    expect([X86_64_CLONE, X86_64_CLONE3, X86_64_PERSONALITY]).toEqual([nr('clone'), nr('clone3'), nr('personality')]);
  });

  it('assembles to whole instructions ending in returns, and refuses other architectures', () => {
    const prog = bubblewrapSeccomp('x64')!;
    expect(prog.length % 8).toBe(0);
    expect(prog.length / 8).toBeLessThan(256);
    expect(prog.readUInt16LE(prog.length - 8)).toBe(0x06); // last instruction: ret
    expect(prog.readUInt32LE(prog.length - 4)).toBe(0x80000000); // kill process (foreign arch, x32)
    expect(bubblewrapSeccomp('arm64')).toBeNull();
  });
});
