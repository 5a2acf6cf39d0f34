// The one place that decides whether an argv runs inline code: a shell or interpreter handed a
// program as an argument (`sh -c '…'`, `python3 -c '…'`, `node -e '…'`, …) or on stdin,
// directly or through a wrapper (`env`, `xargs`, `find -exec`, `nice`, `timeout`, `nohup`,
// `setsid`, `busybox`, …). Such a `shell.run` can do everything `shell.script` does, so it gets
// the same level (see skills/shell/README.md). Getting this wrong in the "not inline" direction
// lets a script through at a lower level; so when in doubt it says "inline". It never runs or
// changes anything: it only reads the argv.

/**
 * Program name (basename; `python*` style names match by prefix, see below) → the flags that
 * take inline code. A flag of one letter also matches inside a cluster (`sh -ec`, `perl -ne`);
 * a long flag also matches as `--flag=…`; `*` means the first operand is always code (awk).
 */
export const BUILTIN_INLINE_CODE_PROGRAMS: Readonly<Record<string, readonly string[]>> = {
  sh: ['-c'], bash: ['-c'], dash: ['-c'], zsh: ['-c'], ash: ['-c'], ksh: ['-c'], mksh: ['-c'], yash: ['-c'], fish: ['-c', '--command'],
  csh: ['-c'], tcsh: ['-c'],
  python: ['-c'], pypy: ['-c'],
  node: ['-e', '-p', '--eval', '--print'], nodejs: ['-e', '-p', '--eval', '--print'], deno: ['eval'], bun: ['-e', '--eval', '-p', '--print'],
  perl: ['-e', '-E'], ruby: ['-e'], php: ['-r'], lua: ['-e'], luajit: ['-e'], Rscript: ['-e'], tclsh: [], wish: [],
  pwsh: ['-c', '-Command', '-command'],
};

/** Programs that run another program named in their arguments. */
export const WRAPPER_PROGRAMS: readonly string[] = [
  'env', 'xargs', 'find', 'nice', 'timeout', 'nohup', 'setsid', 'busybox', 'stdbuf', 'ionice', 'chrt', 'taskset', 'time',
  'command', 'exec', 'flock', 'unbuffer', 'watch', 'strace', 'ltrace', 'sudo', 'doas', 'su', 'runuser', 'chroot', 'unshare',
  'nsenter', 'prlimit', 'setpriv', 'capsh', 'script', 'parallel', 'entr', 'catchsegv', 'valgrind', 'systemd-run', 'tini', 'dumb-init',
];

// Names matched by prefix: python3, python3.12, pypy3 … (digits, dots and a few suffixes after the name).
const VERSIONED = /^(python|pypy|perl|ruby|php|lua|node|tclsh|wish)[0-9.]*(-dbg)?$/;

export interface InlineCodeFinding {
  /** Index in argv of the interpreter. */
  index: number;
  program: string;
  /** How the code is given: the flag, or "stdin". */
  via: string;
}

export interface InlineCodeRules {
  /** Extra programs (operator config), merged over the built-in ones. */
  extraPrograms?: Readonly<Record<string, readonly string[]>>;
}

function basename(arg: string): string {
  const slash = arg.lastIndexOf('/');
  return slash >= 0 ? arg.slice(slash + 1) : arg;
}

function flagsFor(name: string, rules: InlineCodeRules): readonly string[] | undefined {
  const extra = rules.extraPrograms && Object.hasOwn(rules.extraPrograms, name) ? rules.extraPrograms[name] : undefined;
  const builtinKey = Object.hasOwn(BUILTIN_INLINE_CODE_PROGRAMS, name) ? name : VERSIONED.exec(name)?.[1];
  const builtin = builtinKey !== undefined && Object.hasOwn(BUILTIN_INLINE_CODE_PROGRAMS, builtinKey) ? BUILTIN_INLINE_CODE_PROGRAMS[builtinKey] : undefined;
  if (extra === undefined && builtin === undefined) return undefined;
  return [...(builtin ?? []), ...(extra ?? [])];
}

function matchesFlag(arg: string, flag: string): boolean {
  if (arg === flag) return true;
  // `-c` inside a cluster of single-letter options or with the code glued on: -ec, -xc, -ne, -c'…'.
  if (/^-[A-Za-z]$/.test(flag)) return !arg.startsWith('--') && new RegExp(`^-[A-Za-z]*${flag[1]!}`).test(arg);
  // a long option with its value attached: --eval=…, -Command=…
  if (flag.startsWith('-')) return arg.startsWith(`${flag}=`);
  // a sub-command such as `deno eval` matches only exactly
  return false;
}

/**
 * Finds the first interpreter in argv that is given inline code. `argv[0]` is the program; if
 * it is a wrapper, every later element is considered (wrappers nest: `env nice sh -c`).
 * `hasStdin`: an interpreter with no program operand reads its program from stdin.
 */
export function findInlineCode(argv: readonly string[], hasStdin: boolean, rules: InlineCodeRules = {}): InlineCodeFinding | undefined {
  // After a wrapper, every word counts, also inside one element: `env -S "sh -c id"` splits its
  // string into a command line. Each word remembers the argv element it came from.
  const wrapped = WRAPPER_PROGRAMS.includes(basename(argv[0] ?? ''));
  const words = wrapped
    ? argv.flatMap((element, index) => element.split(/\s+/).filter((w) => w !== '').map((word) => ({ word, index })))
    : argv.map((word, index) => ({ word, index }));
  const candidates = wrapped ? words.length : Math.min(1, words.length);
  for (let i = 0; i < candidates; i += 1) {
    const program = basename(words[i]!.word);
    const flags = flagsFor(program, rules);
    if (flags === undefined) continue;
    const index = words[i]!.index;
    const rest = words.slice(i + 1).map((w) => w.word);
    if (flags.includes('*')) return { index, program, via: 'its first operand' };
    for (const arg of rest) {
      const flag = flags.find((f) => matchesFlag(arg, f));
      if (flag) return { index, program, via: flag };
    }
    // No program file operand (only options, or `-`/`/dev/stdin`): the program is read from stdin.
    const operand = rest.find((a) => !a.startsWith('-') || a === '-');
    if (operand === undefined || operand === '-' || operand === '/dev/stdin' || rest.includes('-s')) {
      if (hasStdin) return { index, program, via: 'stdin' };
    }
  }
  return undefined;
}

/** Reads operator extensions from skills.settings.shell.inline_code_programs ({name: [flags]}). */
export function inlineCodeRulesFromSettings(settings: Readonly<Record<string, unknown>>): InlineCodeRules {
  const raw = Object.hasOwn(settings, 'inline_code_programs') ? settings.inline_code_programs : undefined;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const extraPrograms: Record<string, string[]> = {};
  for (const [name, flags] of Object.entries(raw as Record<string, unknown>)) {
    if (Array.isArray(flags) && flags.every((f) => typeof f === 'string')) {
      Object.defineProperty(extraPrograms, name, { value: flags, enumerable: true });
    }
  }
  return { extraPrograms };
}
