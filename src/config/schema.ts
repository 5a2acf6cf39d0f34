// The configuration schema. Validated once at start-up, then frozen. Every key here is
// documented in config/securesphere.example.yaml. Secret values are references
// (`${env:NAME}` or `vault:NAME`), never literals: see secret-ref.ts.
import { z } from 'zod';
import { CHANNEL_DEFINITIONS } from '../../channels/registry.js';
import { SANDBOX_BACKEND_NAMES } from '../agents/backends/index.js';
import { SECURITY_LEVELS } from '../core/types.js';
import { isSecretRef } from './secret-ref.js';

const level = z.enum(SECURITY_LEVELS);

export const limitsSchema = z.strictObject({
  memory_mb: z.number().int().min(16).default(256),
  cpus: z.number().positive().max(64).default(1),
  pids: z.number().int().min(16).default(256),
  nofile: z.number().int().min(16).default(1024),
  tmpfs_mb: z.number().int().min(1).default(64),
  workspace_mb: z.number().int().min(1).default(256),
  timeout_ms: z.number().int().min(100).default(30_000),
  output_cap_bytes: z.number().int().min(256).default(65_536),
});

/** A secret value: a reference (`${env:NAME}` or `vault:NAME`), never the literal. */
const secretRef = z.string().refine(isSecretRef, 'secret values must be references like ${env:NAME} or vault:NAME, not literals');

const providerProfile = z.strictObject({
  type: z.string(),
  model: z.string().min(1),
  /** Passed to the vendor SDK as its own base URL option (Ollama: its host). */
  base_url: z.string().optional(),
  api_key: secretRef.optional(),
  timeout_ms: z.number().int().min(100).default(60_000),
  max_output_tokens: z.number().int().min(1).optional(),
  /** type llama-cpp: the GGUF file (default <data_dir>/models/<model>.gguf), context window, CPU threads. */
  model_path: z.string().optional(),
  context_size: z.number().int().min(256).max(131_072).optional(),
  threads: z.number().int().min(1).max(256).optional(),
});

const providerRoute = z
  .strictObject({
    channel: z.string().optional(),
    conversation: z.string().optional(),
    profile: z.string(),
  })
  .refine((r) => r.channel !== undefined || r.conversation !== undefined, 'a route names a channel or a conversation');

const overrideRule = z.strictObject({
  skill: z.string().optional(),
  operation: z.string().optional(),
  channel: z.string().optional(),
  conversation: z.string().optional(),
  user: z.string().optional(),
  level: level.optional(),
  deny: z.boolean().optional(),
  reason: z.string().optional(),
});

export const configSchema = z.strictObject({
  data_dir: z.string().default('./data'),
  server: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8787),
      /** Reference to the API bearer token; generated into <data_dir>/api-token when unset. */
      api_token: z.string().optional(),
      body_limit_bytes: z.number().int().min(1024).default(1_048_576),
      /**
       * Host header names a loopback-bound gateway answers besides 127.0.0.1, localhost and [::1]
       * on its own port (DNS-rebinding guard): e.g. the name a local reverse proxy forwards.
       * "name" matches any port, "name:port" only that port.
       */
      allowed_hosts: z.array(z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/, 'a host name, optionally with :port')).default([]),
    })
    .prefault({}),
  /** The single-profile shorthand (one vendor, one model); `providers` below holds several. */
  provider: z
    .strictObject({
      /**
       * Which vendor answers: auto | ollama | llama-cpp | openai | anthropic | google | mistral (see
       * src/providers/vendors). auto: Ollama when it answers, else the embedded model when its file
       * is present (`securesphere model pull`); an explicit host (OLLAMA_HOST) means Ollama.
       */
      type: z.string().default('auto'),
      model: z.string().default('llama3.1'),
      /** Ollama's address (OLLAMA_HOST); for other vendors use base_url. */
      host: z.string().optional(),
      base_url: z.string().optional(),
      api_key: secretRef.optional(),
      timeout_ms: z.number().int().min(100).default(120_000),
      max_output_tokens: z.number().int().min(1).optional(),
      model_path: z.string().optional(),
      context_size: z.number().int().min(256).max(131_072).optional(),
      threads: z.number().int().min(1).max(256).optional(),
      system_prompt: z.string().optional(),
    })
    .prefault({}),
  providers: z
    .strictObject({
      /** The profile a conversation uses unless a route picks another. */
      default: z.string().optional(),
      /** Profiles tried in order when one cannot answer. */
      failover: z.array(z.string()).optional(),
      profiles: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'profile names: letters, digits, "_" or "-"'), providerProfile),
      routes: z.array(providerRoute).default([]),
    })
    .superRefine((value, ctx) => {
      const names = Object.keys(value.profiles);
      if (names.length === 0) ctx.addIssue({ code: 'custom', path: ['profiles'], message: 'define at least one profile' });
      const check = (name: string | undefined, path: Array<string | number>) => {
        if (name !== undefined && !names.includes(name)) ctx.addIssue({ code: 'custom', path, message: `no profile named "${name}" (profiles: ${names.join(', ')})` });
      };
      check(value.default, ['default']);
      value.failover?.forEach((name, i) => check(name, ['failover', i]));
      value.routes.forEach((route, i) => check(route.profile, ['routes', i, 'profile']));
    })
    .optional(),
  /** Daily token budgets; omitted means unlimited. Counted from UTC midnight. */
  budgets: z
    .strictObject({
      per_user_daily_tokens: z.number().int().min(1).optional(),
      global_daily_tokens: z.number().int().min(1).optional(),
    })
    .prefault({}),
  orchestrator: z
    .strictObject({
      max_tool_rounds: z.number().int().min(1).max(100).default(8),
      turn_timeout_ms: z.number().int().min(100).default(300_000),
      history_messages: z.number().int().min(1).max(1000).default(40),
    })
    .prefault({}),
  sandbox: z
    .strictObject({
      /** 'auto' or one backend registered in src/agents/backends/index.ts. */
      backend: z.enum(['auto', ...SANDBOX_BACKEND_NAMES]).default('auto'),
      /** Refuse plain runc (and bubblewrap) when true. */
      require_strong_isolation: z.boolean().default(false),
      image: z.string().default('securesphere-agent:latest'),
      docker_socket: z.string().default('/var/run/docker.sock'),
      probe_timeout_ms: z.number().int().min(500).default(20_000),
      /** A running call is stopped in its agent once the gateway has been silent this long (dead, or its stream gone). */
      call_lease_ms: z.number().int().min(500).max(600_000).default(3_000),
      idle_stop_ms: z.number().int().min(1000).default(600_000),
      max_agents: z.number().int().min(1).default(50),
      warm_pool: z.number().int().min(0).default(1),
      /** On a clean stop (SIGTERM/SIGINT) leave conversation agents running; default: stop them (workspaces are kept). */
      keep_agents_on_stop: z.boolean().default(false),
      limits: limitsSchema.prefault({}),
      max_limits: limitsSchema.prefault({
        memory_mb: 2048,
        cpus: 2,
        pids: 1024,
        nofile: 4096,
        tmpfs_mb: 512,
        workspace_mb: 2048,
        timeout_ms: 600_000,
        output_cap_bytes: 1_048_576,
      }),
    })
    .prefault({}),
  policy: z
    .strictObject({
      /** Identities `<channel>:<id>` (telegram:123456, web:operator, api:alice). */
      approvers: z.array(z.string()).default([]),
      admins: z.array(z.string()).default([]),
      /** One person's accounts on several platforms: any of them counts as that person. */
      identities: z.record(z.string(), z.array(z.string().regex(/^[a-z][a-z0-9_-]*:.+$/, 'an identity like telegram:123456'))).default({}),
      /** Where each admin also sees prompts for steps only an admin may approve: admin identity -> chat. */
      admin_chats: z
        .record(
          z.string(),
          z.strictObject({ channel: z.string().min(1), conversation: z.string().min(1), thread: z.string().min(1).optional() }),
        )
        .default({}),
      overrides: z.array(overrideRule).default([]),
      approval_ttl_ms: z.number().int().min(1000).default(600_000),
      max_pending_approvals_per_conversation: z.number().int().min(1).default(25),
      max_pending_approvals_per_identity: z.number().int().min(1).default(50),
    })
    .prefault({}),
  security: z
    .strictObject({
      injection: z
        .strictObject({
          enabled: z.boolean().default(true),
          threshold: z.number().min(0).max(1).optional(),
          /** The second stage: a sentence encoder for texts near the threshold (<data_dir>/models/minilm-l6-v2-int8.onnx). */
          semantic: z.boolean().default(true),
        })
        .prefault({}),
      rate_limits: z
        .strictObject({
          per_user_per_minute: z.number().int().min(1).default(20),
          per_conversation_per_minute: z.number().int().min(1).default(30),
          per_channel_per_minute: z.number().int().min(1).default(600),
          llm_calls_per_minute: z.number().int().min(1).default(600),
          auth_failures_per_minute: z.number().int().min(1).default(10),
        })
        .prefault({}),
      vault: z
        .strictObject({
          key_file: z.string().optional(),
        })
        .prefault({}),
      audit: z
        .strictObject({
          signing_key_file: z.string().optional(),
          checkpoint_every: z.number().int().min(1).default(100),
        })
        .prefault({}),
    })
    .prefault({}),
  skills: z
    .strictObject({
      extra_dirs: z.array(z.string()).default([]),
      enabled: z.array(z.string()).optional(),
      /** Per-skill settings, e.g. skills.settings.http.allow_domains. */
      settings: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    })
    .prefault({}),
  /** One section per registered channel (channels/registry.ts), each validated by its own schema. */
  channels: z
    .strictObject({
      /** Deprecated (the terminal chat is an API client): accepted, and logged as such (deprecations.ts). */
      cli: z.strictObject({ enabled: z.boolean().optional() }).optional(),
      ...channelSections(),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** `pretty`: readable lines (colour on a colour terminal); `json`: one JSON object a line; `auto`: pretty on a terminal, JSON otherwise. */
      format: z.enum(['auto', 'json', 'pretty']).default('auto'),
    })
    .prefault({}),
});

/** A section absent from the file is absent from the config (the channel is not built), unless its definition is on by default. */
function channelSections(): Record<string, z.ZodType> {
  const out: Record<string, z.ZodType> = {};
  for (const definition of CHANNEL_DEFINITIONS) {
    out[definition.name] = definition.defaultConfig !== undefined ? definition.configSchema.prefault(definition.defaultConfig) : definition.configSchema.optional();
  }
  return out;
}

export type Config = z.infer<typeof configSchema>;
export type ProviderProfileConfig = z.infer<typeof providerProfile>;
export type ProviderRouteConfig = z.infer<typeof providerRoute>;
export type LimitsConfig = z.infer<typeof limitsSchema>;
