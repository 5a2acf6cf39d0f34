// The filesystem skill's manifest: what the model sees and what policy reads.
import { z } from 'zod';
import type { SkillManifest } from '../../src/skills/skill.js';

const workspacePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'path must not contain NUL bytes')
  .describe('Path relative to the workspace root; a leading "/" means the workspace root');

export const filesystemManifest: SkillManifest = {
  name: 'filesystem',
  version: '1.0.0',
  description: "Files in this conversation's private workspace",
  operations: {
    list: {
      description: 'List the entries of a workspace directory (default: the workspace root)',
      input: z.strictObject({ path: workspacePath.optional() }),
      level: 'low',
    },
    read: {
      description: 'Read a UTF-8 text file from the workspace',
      input: z.strictObject({ path: workspacePath }),
      level: 'low',
    },
    write: {
      description: 'Create or replace a text file in the workspace (parent directories are created)',
      input: z.strictObject({ path: workspacePath, content: z.string().max(4_194_304) }),
      level: 'medium',
    },
    append: {
      description: 'Append text to a file in the workspace, creating it if needed',
      input: z.strictObject({ path: workspacePath, content: z.string().max(4_194_304) }),
      level: 'medium',
    },
    delete: {
      description: 'Delete a file, a symlink or an empty directory in the workspace',
      input: z.strictObject({ path: workspacePath }),
      level: 'high',
    },
    move: {
      description: 'Move or rename a file or directory inside the workspace (the target must not exist)',
      input: z.strictObject({ from: workspacePath, to: workspacePath }),
      level: 'medium',
    },
    search: {
      description: 'Find files and directories whose name matches a pattern (glob with * and ?, or a substring)',
      input: z.strictObject({ pattern: z.string().min(1).max(256), path: workspacePath.optional() }),
      level: 'low',
    },
  },
};
