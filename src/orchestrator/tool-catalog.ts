// The tools offered to the model, generated once from the loaded skills' manifests (one tool
// per operation, `<skill>_<operation>`, see src/skills/loader.ts), and the hostile-name-safe
// lookup back from a tool name. Generating JSON Schemas is not free, so it happens at start-up,
// not on every turn.
import type { ToolDefinition } from '../providers/provider.js';
import { resolveAction, resolveTool, toolDefinitions } from '../skills/loader.js';
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
  const definitions = toolDefinitions(skills);
  const adapt = (hit: ReturnType<typeof resolveTool>): ResolvedTool | undefined =>
    hit && { skill: hit.skill, skillName: hit.skillName, operation: hit.operationName, manifest: hit.operation };
  return {
    definitions: () => definitions,
    resolve: (toolName) => adapt(resolveTool(skills, toolName)),
    lookup: (skillName, operation) => adapt(resolveAction(skills, skillName, operation)),
  };
}
