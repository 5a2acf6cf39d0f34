// The notes skill's manifest: a small per-conversation memory kept in the workspace.
import { z } from 'zod';
import type { SkillManifest } from '../../src/skills/skill.js';

export const notesManifest: SkillManifest = {
  name: 'notes',
  version: '1.0.0',
  description: 'A small memory for this conversation: remember facts, recall them later, forget them',
  operations: {
    remember: {
      description: 'Store a short note; answers its id',
      input: z.strictObject({ text: z.string().min(1).max(4000) }),
      level: 'low',
    },
    recall: {
      description: 'List stored notes, optionally only those containing every word of the query',
      input: z.strictObject({ query: z.string().max(500).optional() }),
      level: 'low',
    },
    forget: {
      description: 'Delete one note by its id',
      input: z.strictObject({ id: z.string().regex(/^n_[0-9a-f]{10}$/, 'id looks like n_0123456789') }),
      level: 'low',
    },
  },
};
