// `securesphere skills list` and `securesphere skills show NAME`: what the loader found, what
// it refused and why, and exactly what each operation accepts and at which level.
import type { Command } from 'commander';
import { z } from 'zod';
import { getOwn } from '../../core/own.js';
import type { LoadedSkills } from '../../skills/loader.js';
import type { Skill } from '../../skills/skill.js';

export function formatSkillList(loaded: LoadedSkills): string {
  const lines: string[] = [];
  const names = Object.keys(loaded.skills).sort();
  for (const name of names) {
    const skill = loaded.skills[name]!;
    const ops = Object.entries(skill.manifest.operations).map(([op, m]) => `${op}(${m.level})`);
    lines.push(`${name} ${skill.manifest.version}  ${skill.manifest.description}`);
    lines.push(`    ${ops.join(' ')}`);
  }
  if (names.length === 0) lines.push('no skills loaded');
  for (const error of loaded.errors) lines.push(`REFUSED ${error.file}: ${error.reason}`);
  return lines.join('\n');
}

export function formatSkillDetail(skill: Skill): string {
  const m = skill.manifest;
  const lines = [`${m.name} ${m.version}`, m.description, ''];
  lines.push(`network (egress proxy): ${m.sandbox?.network?.length ? m.sandbox.network.join(', ') : '(manifest declares none; see skills.settings)'}`);
  lines.push(`secrets: ${m.sandbox?.secrets?.length ? m.sandbox.secrets.join(', ') : '(none)'}`);
  if (m.sandbox?.limits) lines.push(`limits: ${JSON.stringify(m.sandbox.limits)}`);
  for (const [op, manifest] of Object.entries(m.operations)) {
    const schema = z.toJSONSchema(manifest.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete schema.$schema;
    lines.push('', `${m.name}_${op}  [level ${manifest.level}${manifest.classify ? '; higher for some arguments, see the skill README' : ''}]`, `  ${manifest.description}`, `  arguments: ${JSON.stringify(schema)}`);
  }
  return lines.join('\n');
}

export function registerSkillCommands(program: Command, load: (command: Command) => Promise<LoadedSkills>): void {
  const skills = program.command('skills').description('inspect the installed skills');
  skills
    .command('list')
    .description('list loaded skills and any refused skill folders')
    .action(async (_opts, command: Command) => {
      const loaded = await load(command);
      console.log(formatSkillList(loaded));
      if (loaded.errors.length > 0) process.exitCode = 1;
    });
  skills
    .command('show')
    .argument('<name>', 'skill name')
    .description("show a skill's operations, argument schemas, levels and sandbox needs")
    .action(async (name: string, _opts, command: Command) => {
      const loaded = await load(command);
      const skill = getOwn(loaded.skills, name);
      if (skill === undefined) {
        console.error(`no skill named "${name.slice(0, 64)}"; run \`securesphere skills list\` to see the loaded ones`);
        process.exitCode = 1;
        return;
      }
      console.log(formatSkillDetail(skill));
    });
}
