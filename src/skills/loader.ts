// Finds skill folders, imports each one's index module and validates its manifest. A broken
// skill is refused with the file and the reason while every other skill still loads. Also
// turns manifests into the tool definitions the model sees, and maps a model's tool name back
// to a skill operation (own properties only: tool names come from the model and are hostile).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { describeError } from '../core/errors.js';
import { getOwn } from '../core/own.js';
import type { ToolDefinition } from '../providers/provider.js';
import type { OperationManifest, Skill, SkillManifest } from './skill.js';
import { describeManifestIssues, OPERATION_NAME, SKILL_NAME, skillManifestSchema } from './manifest-schema.js';

export interface SkillLoadError {
  /** The skill folder. */
  dir: string;
  /** The file that was refused (index module), or the folder when no index was found. */
  file: string;
  reason: string;
}

export interface LoaderLogger {
  warn(details: Record<string, unknown>, message: string): void;
  info?(details: Record<string, unknown>, message: string): void;
}

export interface LoadSkillsOptions {
  /** Defaults to the built-in skills/ folder next to src/ (or dist/skills after a build). */
  builtinDir?: string;
  /** Operator directories, each holding skill folders. */
  extraDirs?: readonly string[];
  /** Only these skill names load; unset means all. */
  enabled?: readonly string[];
  logger?: LoaderLogger;
}

export interface LoadedSkills {
  /** Null-prototype map from skill name to skill. */
  skills: Record<string, Skill>;
  errors: SkillLoadError[];
}

export function defaultBuiltinSkillsDir(): string {
  return fileURLToPath(new URL('../../skills/', import.meta.url));
}

const INDEX_FILES = ['index.js', 'index.ts', 'index.mjs'];

function findIndex(dir: string): string | undefined {
  for (const name of INDEX_FILES) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

function skillFolders(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  return names
    .filter((name) => !name.startsWith('.') && !name.startsWith('_'))
    .sort()
    .map((name) => path.join(root, name))
    .filter((dir) => {
      try {
        return statSync(dir).isDirectory();
      } catch {
        return false;
      }
    });
}

async function loadOne(dir: string): Promise<{ skill: Skill } | { error: SkillLoadError }> {
  const file = findIndex(dir);
  if (file === undefined) return { error: { dir, file: dir, reason: `no ${INDEX_FILES.join(' or ')} in the skill folder` } };
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    return { error: { dir, file, reason: `cannot import: ${describeError(err)}` } };
  }
  const exported = mod.default;
  if (typeof exported !== 'object' || exported === null) {
    return { error: { dir, file, reason: 'the index module must default-export a Skill ({ manifest, execute })' } };
  }
  const candidate = exported as { manifest?: unknown; execute?: unknown };
  if (typeof candidate.execute !== 'function') {
    return { error: { dir, file, reason: 'the default export has no execute(ctx, operation, args) function' } };
  }
  const parsed = skillManifestSchema.safeParse(candidate.manifest);
  if (!parsed.success) return { error: { dir, file, reason: `invalid manifest: ${describeManifestIssues(parsed.error)}` } };
  // Folder and name agree, so `enabled` can be applied before any skill code is imported.
  if (parsed.data.name !== path.basename(dir)) {
    return { error: { dir, file, reason: `manifest name "${parsed.data.name}" does not match the folder name "${path.basename(dir)}"; rename one of them` } };
  }
  return { skill: exported as Skill };
}

export async function loadSkills(options: LoadSkillsOptions = {}): Promise<LoadedSkills> {
  const skills = Object.create(null) as Record<string, Skill>;
  const errors: SkillLoadError[] = [];
  const enabled = options.enabled === undefined ? undefined : new Set(options.enabled);
  const roots = [options.builtinDir ?? defaultBuiltinSkillsDir(), ...(options.extraDirs ?? [])];
  for (const root of roots) {
    for (const dir of skillFolders(root)) {
      // A disabled skill's code is never imported.
      if (enabled !== undefined && !enabled.has(path.basename(dir))) continue;
      const loaded = await loadOne(dir);
      if ('error' in loaded) {
        errors.push(loaded.error);
        options.logger?.warn({ dir: loaded.error.dir, file: loaded.error.file, reason: loaded.error.reason }, 'skill refused');
        continue;
      }
      const name = loaded.skill.manifest.name;
      if (getOwn(skills, name) !== undefined) {
        const error = { dir, file: findIndex(dir) ?? dir, reason: `duplicate skill name "${name}": already loaded from another folder` };
        errors.push(error);
        options.logger?.warn({ ...error }, 'skill refused');
        continue;
      }
      skills[name] = loaded.skill;
      options.logger?.info?.({ skill: name, version: loaded.skill.manifest.version, dir }, 'skill loaded');
    }
  }
  return { skills, errors };
}

export type { ToolDefinition } from '../providers/provider.js';

export function toolName(skill: string, operation: string): string {
  return `${skill}_${operation}`;
}

export function toolDefinitions(skills: Readonly<Record<string, Skill>>): ToolDefinition[] {
  const tools: ToolDefinition[] = [];
  for (const name of Object.keys(skills).sort()) {
    const skill = getOwn(skills, name);
    if (skill === undefined) continue;
    for (const op of Object.keys(skill.manifest.operations).sort()) {
      const operation = getOwn(skill.manifest.operations, op);
      if (operation === undefined) continue;
      const parameters = z.toJSONSchema(operation.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
      delete parameters.$schema;
      tools.push({
        name: toolName(name, op),
        description: `${operation.description} (${skill.manifest.description})`,
        parameters,
      });
    }
  }
  return tools;
}

export interface ResolvedTool {
  skill: Skill;
  skillName: string;
  operationName: string;
  operation: OperationManifest;
  manifest: SkillManifest;
}

/** Maps `<skill>_<operation>` back to a loaded skill operation; anything else is undefined. */
export function resolveTool(skills: Readonly<Record<string, Skill>>, name: unknown): ResolvedTool | undefined {
  if (typeof name !== 'string' || name.length > 80) return undefined;
  // Skill names cannot contain '_', so the first '_' separates skill from operation.
  const at = name.indexOf('_');
  if (at <= 0) return undefined;
  return resolveAction(skills, name.slice(0, at), name.slice(at + 1));
}

/** Same lookup for `POST /api/actions`, which names skill and operation separately. */
export function resolveAction(skills: Readonly<Record<string, Skill>>, skillName: unknown, operationName: unknown): ResolvedTool | undefined {
  if (typeof skillName !== 'string' || typeof operationName !== 'string') return undefined;
  if (!SKILL_NAME.test(skillName) || !OPERATION_NAME.test(operationName)) return undefined;
  const skill = getOwn(skills, skillName);
  if (skill === undefined) return undefined;
  const operation = getOwn(skill.manifest.operations, operationName);
  if (operation === undefined) return undefined;
  return { skill, skillName, operationName, operation, manifest: skill.manifest };
}
