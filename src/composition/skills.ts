// Composition step 5: the skills (built-in and extra directories), the tool catalog the model
// sees, and the host-side egress proxy — the only network path a skill has, per-skill
// allowlisted. A refused skill is logged and left out; it never stops the gateway.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { createToolCatalog, type ToolCatalog } from '../orchestrator/tool-catalog.js';
import { startSkillEgress, type SkillEgressOptions, type SkillEgressService } from '../security/skill-egress.js';
import { loadSkills, type LoadedSkills } from '../skills/loader.js';

export interface SkillsDeps {
  config: Readonly<Config>;
  logger: Logger;
  /** Egress proxy hooks (tests, intranets). */
  egress?: Pick<SkillEgressOptions, 'allowPrivateAddresses' | 'lookup' | 'maxResponseBytes'>;
}

export interface SkillServices {
  loaded: LoadedSkills;
  tools: ToolCatalog;
  /** Agents reach it through its socket directory, bound read-only into each one. */
  egress: SkillEgressService;
}

export async function buildSkills({ config, logger, egress: egressOptions }: SkillsDeps): Promise<SkillServices> {
  const loaded = await loadSkills({ extraDirs: config.skills.extra_dirs, enabled: config.skills.enabled, logger });
  for (const e of loaded.errors) logger.error({ dir: e.dir, file: e.file, reason: e.reason }, 'skill refused');
  const tools = createToolCatalog(loaded.skills);
  const egress = await startSkillEgress({ dataDir: config.data_dir, skills: loaded.skills, settings: config.skills.settings, logger, ...egressOptions });
  return { loaded, tools, egress };
}
