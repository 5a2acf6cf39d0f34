// The notes skill: notes-agent.py keeps the notes in /workspace/.notes.json inside the agent,
// so they live and die with the conversation's workspace.
import { loadAgentScript, runAgentScript } from '../../src/skills/agent-script.js';
import { settingNumber } from '../../src/skills/skill-settings.js';
import type { Skill, SkillContext } from '../../src/skills/skill.js';
import { notesManifest } from './manifest.js';

const script = loadAgentScript(import.meta.url, 'notes-agent.py');

const notesSkill: Skill = {
  manifest: notesManifest,
  async execute(ctx: SkillContext, operation: string, args: unknown) {
    const limits = { maxNotes: settingNumber(ctx.config, 'max_notes', 1000), maxResults: settingNumber(ctx.config, 'max_results', 100) };
    return runAgentScript(ctx.agent, script, { op: operation, args, limits }, { timeoutMs: 15_000, outputCapBytes: 1_048_576, signal: ctx.signal });
  },
};

export default notesSkill;
