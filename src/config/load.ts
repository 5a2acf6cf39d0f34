// Loads the configuration once at start-up: built-in defaults, then the file, then
// environment overrides. Validates with zod and deep-freezes the result. This is the only
// module that reads configuration from the environment.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { deepFreeze } from '../core/deep-freeze.js';
import type { z } from 'zod';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import { type ConfigDeprecation, findDeprecatedKeys } from './deprecations.js';
import { configSchema, type Config } from './schema.js';
import { isSecretRef } from './secret-ref.js';

export interface LoadConfigOptions {
  /** --config */
  configPath?: string;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** Command-line flags, applied last (--data-dir, --host, --port, --log-format). */
  flags?: { dataDir?: string; host?: string; port?: number; logFormat?: string };
}

export interface LoadedConfig {
  config: Readonly<Config>;
  /** The file that was read, or null when only defaults and environment were used. */
  file: string | null;
  /** Keys still accepted but obsolete; the gateway logs each as a warning. */
  deprecations: readonly ConfigDeprecation[];
}

/** Config keys whose values are secrets and must be references. */
const SECRET_KEYS: ReadonlyArray<readonly string[]> = [['server', 'api_token']];

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = pickFile(options.configPath ?? env.SECURESPHERE_CONFIG, cwd);
  const raw = file ? readYaml(file) : {};
  const deprecations = findDeprecatedKeys(raw, file);
  applyEnvOverrides(raw, env);
  applyFlags(raw, options.flags);

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw invalid(file, parsed.error);
  for (const path of SECRET_KEYS) {
    const value = getPath(parsed.data, path);
    if (typeof value === 'string' && !isSecretRef(value)) {
      throw new SecureSphereError(
        ERROR_CODES.CONFIG_INVALID,
        `${file ?? '(environment)'}: ${path.join('.')}: secret values must be references like \${env:NAME} or vault:NAME, not literals`,
        { details: { file, key: path.join('.') } },
      );
    }
  }
  const config = { ...parsed.data, data_dir: resolve(cwd, parsed.data.data_dir) };
  return { config: deepFreeze(config), file, deprecations };
}

function pickFile(explicit: string | undefined, cwd: string): string | null {
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) {
      throw new SecureSphereError(ERROR_CODES.CONFIG_FILE, `${path}: config file not found. Check --config or SECURESPHERE_CONFIG.`);
    }
    return path;
  }
  const local = resolve(cwd, 'securesphere.yaml');
  return existsSync(local) ? local : null;
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new SecureSphereError(ERROR_CODES.CONFIG_FILE, `${file}: cannot read the config file.`, { cause });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const line = first.linePos?.[0]?.line;
    throw new SecureSphereError(
      ERROR_CODES.CONFIG_FILE,
      `${file}${line ? `:${line}` : ''}: invalid YAML: ${first.message.split('\n')[0]}`,
      { details: { file } },
    );
  }
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    throw new SecureSphereError(ERROR_CODES.CONFIG_INVALID, `${file}: (root): expected a mapping of keys to values`, { details: { file } });
  }
  return value as Record<string, unknown>;
}

/** Environment overrides, documented in config/securesphere.example.yaml. */
const ENV_OVERRIDES: ReadonlyArray<{ name: string; path: string[]; type: 'string' | 'int' }> = [
  { name: 'SECURESPHERE_DATA_DIR', path: ['data_dir'], type: 'string' },
  { name: 'SECURESPHERE_HOST', path: ['server', 'host'], type: 'string' },
  { name: 'SECURESPHERE_PORT', path: ['server', 'port'], type: 'int' },
  { name: 'SECURESPHERE_MODEL', path: ['provider', 'model'], type: 'string' },
  { name: 'OLLAMA_HOST', path: ['provider', 'host'], type: 'string' },
  { name: 'SECURESPHERE_LOG_LEVEL', path: ['logging', 'level'], type: 'string' },
  { name: 'SECURESPHERE_LOG_FORMAT', path: ['logging', 'format'], type: 'string' },
];

function applyEnvOverrides(raw: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): void {
  for (const o of ENV_OVERRIDES) {
    const v = env[o.name];
    if (v === undefined || v === '') continue;
    if (o.type === 'int') {
      if (!/^\d+$/.test(v)) {
        throw new SecureSphereError(ERROR_CODES.CONFIG_INVALID, `environment ${o.name}: expected a whole number, got "${v}"`);
      }
      setPath(raw, o.path, Number(v));
    } else {
      setPath(raw, o.path, v);
    }
  }
  // The API token comes from the environment as a reference, so the literal never sits in config.
  if (env.SECURESPHERE_API_TOKEN) setPath(raw, ['server', 'api_token'], '${env:SECURESPHERE_API_TOKEN}');
}

function applyFlags(raw: Record<string, unknown>, flags: LoadConfigOptions['flags']): void {
  if (!flags) return;
  if (flags.dataDir !== undefined) setPath(raw, ['data_dir'], flags.dataDir);
  if (flags.host !== undefined) setPath(raw, ['server', 'host'], flags.host);
  if (flags.port !== undefined) setPath(raw, ['server', 'port'], flags.port);
  if (flags.logFormat !== undefined) setPath(raw, ['logging', 'format'], flags.logFormat);
}

function invalid(file: string | null, error: z.ZodError): SecureSphereError {
  const issue = error.issues[0]!;
  const key = issue.path.length ? issue.path.join('.') : '(root)';
  let reason = issue.message;
  if (issue.code === 'unrecognized_keys') reason = `unknown key(s): ${issue.keys.join(', ')}`;
  return new SecureSphereError(ERROR_CODES.CONFIG_INVALID, `${file ?? '(defaults and environment)'}: ${key}: ${reason}`, {
    details: { file, key, issues: error.issues.length },
  });
}

function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    const next = Object.prototype.hasOwnProperty.call(cur, key) ? cur[key] : undefined;
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

function getPath(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
