// A seccomp filter for the bubblewrap backend (Docker agents have gVisor, which implements the
// syscalls itself). Classic BPF, assembled here so no libseccomp is needed: bwrap loads it with
// `--seccomp FD` right before it runs the helper. It refuses (EPERM) what an agent has no use
// for and what widens the host kernel's attack surface — the list follows Docker's default
// profile: kernel modules, kexec, mount and the new mount API, namespaces (unshare, setns,
// clone with CLONE_NEW*), ptrace and cross-process memory access, keyrings, bpf, perf,
// userfaultfd, io_uring, clock and swap changes, reboot. clone3 gets ENOSYS (its flags are in
// memory a filter cannot read; libc then falls back to clone, which is checked). x32 and
// foreign-architecture syscalls kill the process.
//
// x86_64 only: on other architectures bubblewrapSeccomp() returns null and health says so.
import { ERROR_CODES, SecureSphereError } from '../../../core/errors.js';

const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const RET_KILL_PROCESS = 0x80000000;
const EPERM = 1;
const ENOSYS = 38;
// offsets in struct seccomp_data
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG0_LO = 16;

const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

/** x86_64 numbers (asm/unistd_64.h; the tests compare them with the host's header). */
export const X86_64_DENIED: Readonly<Record<string, number>> = Object.freeze({
  acct: 163, add_key: 248, bpf: 321, clock_adjtime: 305, clock_settime: 227, create_module: 174,
  delete_module: 176, finit_module: 313, get_kernel_syms: 177, init_module: 175, ioperm: 173, iopl: 172,
  kcmp: 312, kexec_file_load: 320, kexec_load: 246, keyctl: 250, lookup_dcookie: 212, mount: 165,
  move_pages: 279, name_to_handle_at: 303, nfsservctl: 180, open_by_handle_at: 304, perf_event_open: 298,
  pivot_root: 155, process_vm_readv: 310, process_vm_writev: 311, ptrace: 101, query_module: 178,
  quotactl: 179, quotactl_fd: 443, reboot: 169, request_key: 249, setns: 308, settimeofday: 164,
  swapon: 167, swapoff: 168, sysfs: 139, _sysctl: 156, syslog: 103, umount2: 166, unshare: 272,
  uselib: 134, userfaultfd: 323, ustat: 136, vhangup: 153, io_uring_setup: 425, io_uring_enter: 426,
  io_uring_register: 427, open_tree: 428, move_mount: 429, fsopen: 430, fsconfig: 431, fsmount: 432,
  fspick: 433, mount_setattr: 442,
});
export const X86_64_CLONE = 56;
export const X86_64_CLONE3 = 435;
export const X86_64_PERSONALITY = 135;
/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;
/** personality() values Docker allows: PER_LINUX, with UNAME26 / ADDR_NO_RANDOMIZE variants, and the query. */
const PERSONALITY_ALLOWED = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

type Insn = { code: number; k: number; jt?: string; jf?: string } | { label: string };

function assemble(program: Insn[]): Buffer {
  const labels = new Map<string, number>();
  const code: Array<{ code: number; k: number; jt?: string; jf?: string }> = [];
  for (const insn of program) {
    if ('label' in insn) labels.set(insn.label, code.length);
    else code.push(insn);
  }
  const out = Buffer.alloc(code.length * 8);
  code.forEach((insn, i) => {
    const rel = (label: string | undefined): number => {
      if (label === undefined) return 0;
      const target = labels.get(label);
      if (target === undefined || target <= i || target - i - 1 > 255) throw new SecureSphereError(ERROR_CODES.INTERNAL, `seccomp: bad jump to ${label} at ${i}; the filter program in seccomp-filter.ts is wrong (a bug, report it).`);
      return target - i - 1;
    };
    out.writeUInt16LE(insn.code, i * 8);
    out.writeUInt8(rel(insn.jt), i * 8 + 2);
    out.writeUInt8(rel(insn.jf), i * 8 + 3);
    out.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return out;
}

/** The compiled filter for this machine, or null where it is not available. */
export function bubblewrapSeccomp(arch: string = process.arch): Buffer | null {
  if (arch !== 'x64') return null;
  const p: Insn[] = [
    { code: LD_W_ABS, k: OFF_ARCH },
    { code: JEQ_K, k: AUDIT_ARCH_X86_64, jf: 'kill' },
    { code: LD_W_ABS, k: OFF_NR },
    { code: JGE_K, k: X32_SYSCALL_BIT, jt: 'kill' },
    { code: JEQ_K, k: X86_64_CLONE, jt: 'clone' },
    { code: JEQ_K, k: X86_64_CLONE3, jt: 'enosys' },
    { code: JEQ_K, k: X86_64_PERSONALITY, jt: 'personality' },
    ...Object.values(X86_64_DENIED).map((nr): Insn => ({ code: JEQ_K, k: nr, jt: 'eperm' })),
    { code: RET_K, k: RET_ALLOW },
    { label: 'clone' },
    { code: LD_W_ABS, k: OFF_ARG0_LO },
    { code: JSET_K, k: CLONE_NAMESPACE_FLAGS, jt: 'eperm' },
    { code: RET_K, k: RET_ALLOW },
    { label: 'personality' },
    { code: LD_W_ABS, k: OFF_ARG0_LO },
    ...PERSONALITY_ALLOWED.map((v): Insn => ({ code: JEQ_K, k: v, jt: 'allow' })),
    { code: RET_K, k: RET_ERRNO | EPERM },
    { label: 'allow' },
    { code: RET_K, k: RET_ALLOW },
    { label: 'eperm' },
    { code: RET_K, k: RET_ERRNO | EPERM },
    { label: 'enosys' },
    { code: RET_K, k: RET_ERRNO | ENOSYS },
    { label: 'kill' },
    { code: RET_K, k: RET_KILL_PROCESS },
  ];
  return assemble(p);
}
