// The tools offered to the model, generated from the registered skills' manifests:
// one tool per operation, named `<skill>_<operation>`, its parameters the JSON Schema of the
// operation's zod input. Lookups use own properties only: a model-supplied name such as
// "__proto__" or "constructor_x" resolves to nothing.
import { z } from 'zod';
import { getOwn } from '../core/own.js';
import type { ToolDefinition } from '../providers/provider.js';
import type { OperationManifest, Skill } from '../skills/skill.js';

export interface ResolvedTool {
  skill: Skill;
  skillName: string;
  operation: string;
  manifest: OperationManifest;
}

export interface ToolCatalog {
  definitions(): ToolDefinition[];
  resolve(toolName: string): ResolvedTool | undefined;
  lookup(skillName: string, operation: string): ResolvedTool | undefined;
}

export function createToolCatalog(skills: Readonly<Record<string, Skill>>): ToolCatalog {
  const byToolName: Record<string, ResolvedTool> = Object.create(null) as Record<string, ResolvedTool>;
  const definitions: ToolDefinition[] = [];
  for (const skillName of Object.keys(skills)) {
    const skill = skills[skillName]!;
    for (const operation of Object.keys(skill.manifest.operations)) {
      const manifest = skill.manifest.operations[operation]!;
      const name = `${skillName}_${operation}`;
      byToolName[name] = { skill, skillName, operation, manifest };
      definitions.push({ name, description: manifest.description, parameters: jsonSchemaOf(manifest.input) });
    }
  }
  Object.freeze(byToolName);
  return {
    definitions: () => definitions,
    resolve: (toolName) => (typeof toolName === 'string' ? getOwn(byToolName, toolName) : undefined),
    lookup: (skillName, operation) =>
      typeof skillName === 'string' && typeof operation === 'string' ? getOwn(byToolName, `${skillName}_${operation}`) : undefined,
  };
}

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  // The $schema line costs prompt bytes and no model needs it.
  delete json.$schema;
  return json;
}
