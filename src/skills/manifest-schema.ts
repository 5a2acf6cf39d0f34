// Validates a skill manifest at load time. A skill folder is code from disk (built-in or an
// operator's extra directory), so its manifest is checked like any other input: names that
// become tool names, levels that policy reads, and input schemas the model will see.
import { z } from 'zod';
import { SECURITY_LEVELS } from '../core/types.js';

export const SKILL_NAME = /^[a-z][a-z0-9-]{0,31}$/;
export const OPERATION_NAME = /^[a-z][a-z0-9_]{0,31}$/;
export const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
// A domain or a `*.` wildcard for its subdomains; no scheme, port or path.
export const DOMAIN_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function isZodSchema(value: unknown): value is z.ZodType {
  return (
    typeof value === 'object' &&
    value !== null &&
    '_zod' in value &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}

const inputSchema = z.custom<z.ZodType>(isZodSchema, { message: 'input must be a zod schema' }).superRefine((schema, ctx) => {
  let json: unknown;
  try {
    json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `input cannot be converted to JSON Schema: ${(err as Error).message}` });
    return;
  }
  if (typeof json !== 'object' || json === null || (json as { type?: unknown }).type !== 'object') {
    ctx.addIssue({ code: 'custom', message: 'input must be a zod object schema (tool arguments are an object)' });
  }
});

const positiveInt = z.number().int().positive();

export const operationManifestSchema = z.object({
  description: z.string().min(1).max(1024),
  input: inputSchema,
  level: z.enum(SECURITY_LEVELS),
  classify: z.custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function', { message: 'classify must be a function (args, settings) => {level, reason} | undefined' }).optional(),
});

export const skillManifestSchema = z.object({
  name: z.string().regex(SKILL_NAME, 'name must be lowercase letters, digits and hyphens, starting with a letter, at most 32 characters'),
  description: z.string().min(1).max(2048),
  version: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, 'version must be semver, e.g. 1.0.0'),
  operations: z
    .record(
      z.string().regex(OPERATION_NAME, 'operation names must be lowercase letters, digits and underscores, starting with a letter'),
      operationManifestSchema,
    )
    .refine((ops) => Object.keys(ops).length > 0, 'a skill needs at least one operation'),
  sandbox: z
    .strictObject({
      network: z.array(z.string().regex(DOMAIN_PATTERN, 'network entries are domain names such as example.com or *.example.com')).optional(),
      secrets: z.array(z.string().regex(SECRET_NAME, 'secret names are letters, digits, _ . -')).optional(),
      limits: z
        .strictObject({
          memoryMb: positiveInt,
          cpus: z.number().positive(),
          pids: positiveInt,
          nofile: positiveInt,
          tmpfsMb: positiveInt,
          workspaceMb: positiveInt,
          timeoutMs: positiveInt,
          outputCapBytes: positiveInt,
        })
        .partial()
        .optional(),
    })
    .optional(),
});

/** One line per problem, each naming the field, for the loader's error list. */
export function describeManifestIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(manifest)'}: ${issue.message}`).join('; ');
}
