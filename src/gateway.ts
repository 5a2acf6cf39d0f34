// The composition root: builds the real object graph from a frozen config. Nothing else in
// src/ constructs long-lived services; tests call createGateway with a temp data dir and a
// fake provider host, and get the same graph production runs.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { resolveSecretRef } from './config/secret-ref.js';
import { describeError } from './core/errors.js';
import { createLogger } from './core/logger.js';
import { createApiApp } from './api/app.js';
import { actionRoutes } from './api/routes/actions.js';
import { conversationRoutes } from './api/routes/conversations.js';
import { healthRoutes, type HealthReport } from './api/routes/health.js';
import { messageRoutes } from './api/routes/messages.js';
import { createOrchestrator, type Orchestrator } from './orchestrator/orchestrator.js';
import { DEFAULT_SYSTEM_PROMPT } from './orchestrator/system-prompt.js';
import { createToolCatalog } from './orchestrator/tool-catalog.js';
import { createOutboundRouter, type OutboundRouter } from './outbound-router.js';
import { createApprovalService, type ApprovalService } from './policy/approval-service.js';
import { createPolicyEngine } from './policy/policy-engine.js';
import { ApprovalStore } from './store/approvals.js';
import { createOllamaProvider, DEFAULT_OLLAMA_HOST } from './providers/ollama.js';
import { createProviderManager, describeProviderErrorForUser, type ProviderManager } from './providers/provider-manager.js';
import { createAuditChain, type AuditChain } from './security/audit-chain.js';
import { createSecretRedactor, type SecretRedactor } from './security/secret-redactor.js';
import { loadSkills, type SkillLoadError } from './skills/loader.js';
import type { Skill } from './skills/skill.js';
import { getOwn } from './core/own.js';
import { ActionStore } from './store/actions.js';
import { ConversationStore } from './store/conversations.js';
import { openDatabase, type Db } from './store/database.js';
import type { Sandbox } from './agents/sandbox.js';
import type { Channel } from '../channels/channel.js';
import type { TextScanner } from './orchestrator/deps.js';

export interface GatewayOptions {
  config: Readonly<Config>;
  env?: Readonly<Record<string, string | undefined>>;
  /** Where log lines go (default stderr). */
  logDestination?: { write(line: string): unknown };
  /** The sandbox; defaults to the agent manager built from config.sandbox. */
  sandbox?: Sandbox;
  /** Injection scanner; defaults to the trained detector. */
  scanner?: TextScanner;
  frameUntrusted?: (input: { source: string; text: string }) => string;
  channels?: Channel[];
}

export interface Gateway {
  config: Readonly<Config>;
  db: Db;
  logger: Logger;
  redactor: SecretRedactor;
  audit: AuditChain;
  orchestrator: Orchestrator;
  approvals: ApprovalService;
  providers: ProviderManager;
  skills: Readonly<Record<string, Skill>>;
  skillErrors: SkillLoadError[];
  outbound: OutboundRouter;
  app: FastifyInstance;
  apiToken: string;
  /** Generated on first start: printed once by `securesphere start`. */
  apiTokenCreated: boolean;
  health(): Promise<HealthReport>;
  start(): Promise<void>;
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const env = options.env ?? process.env;
  const redactor = createSecretRedactor();
  const logger = createLogger({ level: config.logging.level, redactor, destination: options.logDestination });
  const db = openDatabase(config.data_dir);
  const audit = createAuditChain({
    db,
    signingKeyPath: config.security.audit.signing_key_file ?? join(config.data_dir, 'keys', 'audit-signing.key'),
    checkpointEvery: config.security.audit.checkpoint_every,
    redactor,
  });

  const { token: apiToken, created: apiTokenCreated } = resolveApiToken(config, env);
  redactor.add(apiToken);

  const conversations = new ConversationStore(db);
  const actions = new ActionStore(db);
  const outbound = createOutboundRouter(logger);

  const ollama = createOllamaProvider({
    host: config.provider.host ?? DEFAULT_OLLAMA_HOST,
    model: config.provider.model,
    timeoutMs: config.provider.timeout_ms,
  });
  const providers = createProviderManager({
    profiles: [{ name: 'primary', provider: ollama, model: config.provider.model }],
    logger,
  });

  const loaded = await loadSkills({ extraDirs: config.skills.extra_dirs, enabled: config.skills.enabled, logger });
  for (const e of loaded.errors) logger.error({ dir: e.dir, file: e.file, reason: e.reason }, 'skill refused');
  const tools = createToolCatalog(loaded.skills);

  const approvalStore = new ApprovalStore(db);
  const policy = createPolicyEngine({ config: config.policy, grants: approvalStore });
  let orchestrator: Orchestrator | undefined;
  const approvals = createApprovalService({
    db,
    actions,
    audit,
    outbound,
    config: config.policy,
    store: approvalStore,
    onDecided: (approval) => orchestrator?.resume(approval.conversationId).then(() => undefined),
    onError: (error, context) => logger.error({ err: describeError(error), context }, 'approval side effect failed'),
  });

  const sandbox = options.sandbox ?? unavailableSandbox('no sandbox configured');
  const scanner: TextScanner = options.scanner ?? { scan: () => ({ score: 0, flagged: false, reasons: [] }) };
  const frameUntrusted = options.frameUntrusted ?? defaultFrame;

  orchestrator = createOrchestrator({
    settings: {
      model: config.provider.model,
      systemPrompt: config.provider.system_prompt ?? DEFAULT_SYSTEM_PROMPT,
      maxToolRounds: config.orchestrator.max_tool_rounds,
      turnTimeoutMs: config.orchestrator.turn_timeout_ms,
      historyMessages: config.orchestrator.history_messages,
    },
    db,
    conversations,
    actions,
    chat: (request) => providers.chat(request),
    describeProviderError: describeProviderErrorForUser,
    tools,
    policy,
    approvals,
    sandbox,
    audit,
    outbound,
    scanner,
    frameUntrusted,
    secretsFor: () => ({}),
    skillSettings: (name) => getOwn(config.skills.settings, name) ?? {},
    logger,
  });

  async function health(): Promise<HealthReport> {
    const [provider, sandboxHealth] = await Promise.all([
      providers.health().catch((err: unknown) => ({ ok: false, detail: describeError(err) })),
      sandbox.health().catch((err: unknown) => ({ ok: false, backend: 'none', runtime: null, detail: describeError(err) })),
    ]);
    let store = { ok: true, detail: 'sqlite ok' };
    try {
      db.prepare('SELECT 1').get();
    } catch (err) {
      store = { ok: false, detail: describeError(err) };
    }
    return {
      ok: provider.ok && sandboxHealth.ok && store.ok,
      provider: { ok: provider.ok, detail: provider.detail },
      sandbox: sandboxHealth,
      store,
    };
  }

  const app = createApiApp({
    token: apiToken,
    bodyLimitBytes: config.server.body_limit_bytes,
    logger,
    routes: [
      messageRoutes(orchestrator),
      actionRoutes(orchestrator, actions),
      conversationRoutes(conversations),
      healthRoutes(health),
    ],
  });

  const channels = options.channels ?? [];
  for (const channel of channels) outbound.add(channel);

  let started = false;
  async function start(): Promise<void> {
    if (started) return;
    started = true;
    await approvals.start();
    await orchestrator!.recover();
    for (const channel of channels) {
      await channel.start({
        receive: async (message) => {
          await orchestrator!.handleMessage(message);
        },
        decide: async (input) => {
          await approvals.decide({
            approvalId: input.approvalId,
            approver: input.userId,
            decision: input.decision === 'deny' ? 'deny' : 'approve',
            scope: input.decision === 'allow_conversation' ? 'conversation' : 'once',
            channel: input.channel,
          });
        },
      });
    }
  }

  return {
    config,
    db,
    logger,
    redactor,
    audit,
    orchestrator,
    approvals,
    providers,
    skills: loaded.skills,
    skillErrors: loaded.errors,
    outbound,
    app,
    apiToken,
    apiTokenCreated,
    health,
    start,
    async listen() {
      await start();
      return app.listen({ host: config.server.host, port: config.server.port });
    },
    async close() {
      for (const channel of channels) await channel.stop().catch(() => undefined);
      await app.close();
      await approvals.stop();
      await orchestrator.drain();
      db.close();
    },
  };
}

function resolveApiToken(config: Readonly<Config>, env: Readonly<Record<string, string | undefined>>): { token: string; created: boolean } {
  if (config.server.api_token) {
    return { token: resolveSecretRef(config.server.api_token, 'server.api_token', { env }), created: false };
  }
  const file = join(config.data_dir, 'api-token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), created: false };
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, created: true };
}

function unavailableSandbox(reason: string): Sandbox {
  return {
    agentFor: (conversationId) => ({
      conversationId,
      exec: () => Promise.reject(new Error(`No sandbox is available (${reason}); run \`securesphere doctor\`.`)),
    }),
    health: async () => ({ ok: false, backend: 'none', runtime: null, detail: reason }),
  };
}

function defaultFrame({ source, text }: { source: string; text: string }): string {
  return `<untrusted source="${source}">\n${text}\n</untrusted>`;
}
