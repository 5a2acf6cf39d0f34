// The shell skill: hands argv (or, for `script`, `sh -c <script>`) to the agent's helper,
// which runs it inside the sandbox with a timeout and output caps. Nothing runs on the host.
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { toExecAnswer } from '../../src/skills/exec-answer.js';
import { toWorkspacePath } from '../../src/skills/path-containment.js';
import { clampTimeout, settingNumber } from '../../src/skills/skill-settings.js';
import type { Skill, SkillContext } from '../../src/skills/skill.js';
import { shellManifest } from './manifest.js';

interface RunArgs { argv: string[]; cwd?: string; stdin?: string; timeout_ms?: number }
interface ScriptArgs { script: string; timeout_ms?: number }

const shellSkill: Skill = {
  manifest: shellManifest,
  async execute(ctx: SkillContext, operation: string, args: unknown) {
    const outputCapBytes = settingNumber(ctx.config, 'output_cap_bytes', 65_536);
    if (operation === 'run') {
      const a = args as RunArgs;
      const cwd = toWorkspacePath(a.cwd ?? '.');
      if (!cwd.ok) throw new SecureSphereError(ERROR_CODES.TOOL_ARGUMENTS, `cwd: ${cwd.reason}; use a directory inside the workspace.`);
      const result = await ctx.agent.exec({ argv: a.argv, cwd: cwd.path, stdin: a.stdin, timeoutMs: clampTimeout(a.timeout_ms, ctx.config), outputCapBytes });
      return toExecAnswer(result);
    }
    if (operation === 'script') {
      const a = args as ScriptArgs;
      const result = await ctx.agent.exec({ argv: ['/bin/sh', '-c', a.script], cwd: '/workspace', timeoutMs: clampTimeout(a.timeout_ms, ctx.config), outputCapBytes });
      return toExecAnswer(result);
    }
    throw new SecureSphereError(ERROR_CODES.TOOL_UNKNOWN, `shell has no operation "${String(operation).slice(0, 40)}"; use run or script.`);
  },
};

export default shellSkill;
