// The shell skill's manifest. `run` executes an argv array without any shell, so metacharacters
// in arguments are plain text; `script` hands a string to `sh -c` and is therefore its own,
// higher-level operation (critical): anything a shell can do, chained, in one step. A `run`
// whose argv hands inline code to a shell or interpreter (`sh -c`, `python3 -c`, `env node -e`,
// …) is the same thing, so its classify hook rates it critical too (rule: src/skills/inline-code.ts).
import { z } from 'zod';
import { findInlineCode, inlineCodeRulesFromSettings } from '../../src/skills/inline-code.js';
import type { LevelClassification, SkillManifest } from '../../src/skills/skill.js';

/** shell.run with inline code is a script: critical, and the prompt says why. */
export function classifyRun(args: unknown, settings: Readonly<Record<string, unknown>>): LevelClassification | undefined {
  const { argv, stdin } = (args ?? {}) as { argv?: unknown; stdin?: unknown };
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) return undefined;
  const found = findInlineCode(argv as string[], typeof stdin === 'string' && stdin.length > 0, inlineCodeRulesFromSettings(settings));
  if (!found) return undefined;
  const how = found.via === 'stdin' ? 'with its program on stdin' : found.via === 'its first operand' ? 'whose first operand is a program' : `with inline code (${found.via})`;
  return {
    level: 'critical',
    reason: `inline script: argv[${found.index}] runs ${found.program} ${how}, which can do anything shell.script can, so it is rated critical like shell.script`,
  };
}

const noNul = (s: string) => !s.includes('\0');
const timeout = z.number().int().min(1).max(600_000).describe('Kill the program after this many milliseconds').optional();

export const shellManifest: SkillManifest = {
  name: 'shell',
  version: '1.0.0',
  description: "Runs programs inside this conversation's sandboxed agent (workspace at /workspace, no network)",
  operations: {
    run: {
      description: 'Run one program with arguments, without a shell (argv[0] is the program; pipes and ; are plain text)',
      input: z.strictObject({
        argv: z.array(z.string().max(65_536).refine(noNul, 'arguments must not contain NUL bytes')).min(1).max(1024),
        cwd: z.string().max(4096).refine(noNul, 'cwd must not contain NUL bytes').describe('Directory relative to the workspace root').optional(),
        stdin: z.string().max(1_048_576).optional(),
        timeout_ms: timeout,
      }),
      level: 'high',
      classify: classifyRun,
    },
    script: {
      description: 'Run a shell script with sh -c in the workspace (pipes, redirections, several commands)',
      input: z.strictObject({
        script: z.string().min(1).max(65_536).refine(noNul, 'script must not contain NUL bytes'),
        timeout_ms: timeout,
      }),
      level: 'critical',
    },
  },
};
