// The code skill's manifest: a JavaScript (node) or Python (python3) snippet run in the agent.
import { z } from 'zod';
import type { SkillManifest } from '../../src/skills/skill.js';

// The snippet travels as one argv element, which Linux caps at 128 KiB.
export const MAX_SOURCE_BYTES = 120_000;

export const codeManifest: SkillManifest = {
  name: 'code',
  version: '1.0.0',
  description: "Runs a JavaScript or Python snippet inside this conversation's sandboxed agent (workspace at /workspace, no network)",
  operations: {
    run: {
      description: 'Run a snippet: javascript with node, python with python3; print results to stdout',
      input: z.strictObject({
        language: z.enum(['javascript', 'python']),
        source: z
          .string()
          .min(1)
          .refine((s) => !s.includes('\0'), 'source must not contain NUL bytes')
          .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_SOURCE_BYTES, `source must be at most ${MAX_SOURCE_BYTES} bytes`),
        stdin: z.string().max(1_048_576).optional(),
        timeout_ms: z.number().int().min(1).max(600_000).optional(),
      }),
      // Arbitrary code in the agent: the same power, so the same level, as shell.script.
      level: 'critical',
    },
  },
};
