// Turns the secrets a skill received (ctx.secrets) into environment variables for ONE agent
// exec. Only names the skill's manifest declares pass, whatever else the context carries, so a
// mis-wired context cannot leak another skill's secret into a sandbox. Values never go to logs.
import { getOwn } from '../core/own.js';
import type { SkillManifest } from './skill.js';

/** Environment variable name for a secret: letters, digits and underscores only. */
export function secretEnvName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

export function secretEnv(manifest: SkillManifest, secrets: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of manifest.sandbox?.secrets ?? []) {
    const value = getOwn(secrets, name);
    if (typeof value === 'string') env[secretEnvName(name)] = value;
  }
  return env;
}
