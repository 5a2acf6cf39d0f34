// The code skill: runs the snippet with the agent's own interpreter. The snippet is passed as
// an argument (node -e / python3 -c), never through a shell.
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { toExecAnswer } from '../../src/skills/exec-answer.js';
import { clampTimeout, settingNumber } from '../../src/skills/skill-settings.js';
import type { Skill, SkillContext } from '../../src/skills/skill.js';
import { codeManifest } from './manifest.js';

interface RunArgs { language: 'javascript' | 'python'; source: string; stdin?: string; timeout_ms?: number }

const INTERPRETERS: Readonly<Record<RunArgs['language'], readonly string[]>> = {
  javascript: ['node', '-e'],
  python: ['python3', '-c'],
};

const codeSkill: Skill = {
  manifest: codeManifest,
  async execute(ctx: SkillContext, operation: string, args: unknown) {
    if (operation !== 'run') throw new SecureSphereError(ERROR_CODES.TOOL_UNKNOWN, 'code has one operation: run.');
    const a = args as RunArgs;
    const interpreter = a.language === 'python' ? INTERPRETERS.python : a.language === 'javascript' ? INTERPRETERS.javascript : undefined;
    if (interpreter === undefined) throw new SecureSphereError(ERROR_CODES.TOOL_ARGUMENTS, 'language must be javascript or python.');
    const result = await ctx.agent.exec({
      argv: [...interpreter, a.source],
      cwd: '/workspace',
      stdin: a.stdin,
      timeoutMs: clampTimeout(a.timeout_ms, ctx.config),
      outputCapBytes: settingNumber(ctx.config, 'output_cap_bytes', 65_536),
    });
    return { language: a.language, ...toExecAnswer(result) };
  },
};

export default codeSkill;
