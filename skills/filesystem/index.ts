// The filesystem skill. Every operation runs as fs-agent.py inside the conversation's agent,
// with /workspace as its root; the gateway only validates arguments and relays the answer.
import { loadAgentScript, runAgentScript } from '../../src/skills/agent-script.js';
import { toWorkspacePath } from '../../src/skills/path-containment.js';
import { settingNumber, settingStrings } from '../../src/skills/skill-settings.js';
import type { Skill, SkillContext } from '../../src/skills/skill.js';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { filesystemManifest } from './manifest.js';

const script = loadAgentScript(import.meta.url, 'fs-agent.py');

export interface FilesystemLimits {
  maxReadBytes: number;
  maxWriteBytes: number;
  maxFileBytes: number;
  maxEntries: number;
  maxResults: number;
  maxVisited: number;
  /** Lowercase extensions with the dot (".txt"); null allows any. */
  extensions: string[] | null;
}

/** Operator settings (skills.settings.filesystem) with safe defaults. */
export function filesystemLimits(config: Readonly<Record<string, unknown>>): FilesystemLimits {
  const extensions = settingStrings(config, 'allowed_extensions');
  return {
    maxReadBytes: settingNumber(config, 'max_read_bytes', 262_144, 4_194_304),
    maxWriteBytes: settingNumber(config, 'max_write_bytes', 1_048_576),
    maxFileBytes: settingNumber(config, 'max_file_bytes', 10_485_760),
    maxEntries: settingNumber(config, 'max_list_entries', 1000),
    maxResults: settingNumber(config, 'max_search_results', 200),
    maxVisited: settingNumber(config, 'max_search_visited', 20_000),
    extensions: extensions === undefined ? null : extensions.map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase()),
  };
}

const PATH_KEYS = ['path', 'from', 'to'] as const;

const filesystemSkill: Skill = {
  manifest: filesystemManifest,
  async execute(ctx: SkillContext, operation: string, args: unknown): Promise<unknown> {
    const input = (args ?? {}) as Record<string, unknown>;
    // Lexical refusal in the gateway first; the agent repeats it and adds the symlink checks.
    for (const key of PATH_KEYS) {
      if (input[key] === undefined) continue;
      const mapped = toWorkspacePath(input[key]);
      if (!mapped.ok) throw new SecureSphereError(ERROR_CODES.TOOL_ARGUMENTS, `${key}: ${mapped.reason}; use a path inside the workspace.`);
    }
    const limits = filesystemLimits(ctx.config);
    return runAgentScript(ctx.agent, script, { op: operation, args: input, limits }, {
      timeoutMs: settingNumber(ctx.config, 'timeout_ms', 30_000),
      outputCapBytes: limits.maxReadBytes * 2 + 65_536,
      signal: ctx.signal,
    });
  },
};

export default filesystemSkill;
