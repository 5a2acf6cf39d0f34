// The composition root: builds the real object graph from a frozen config. Nothing else in
// src/ constructs long-lived services; tests call createGateway with a temp data dir and a
// fake provider host, and get the same graph production runs.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createAgentManager, type AgentSubsystem } from './agents/create-agent-manager.js';
import type { Sandbox } from './agents/sandbox.js';
import { createApiApp, type RouteGroup } from './api/app.js';
import { isLoopbackBind } from './api/request-guards.js';
import { resolveApiToken } from './api/api-token.js';
import { actionRoutes } from './api/routes/actions.js';
import { agentRoutes } from './api/routes/agents.js';
import { approvalRoutes } from './api/routes/approvals.js';
import { auditRoutes } from './api/routes/audit.js';
import { conversationFlagRoutes } from './api/routes/conversation-flags.js';
import { conversationRoutes } from './api/routes/conversations.js';
import { healthRoutes, type HealthReport } from './api/routes/health.js';
import { createHealthCheck } from './gateway-health.js';
import { messageRoutes } from './api/routes/messages.js';
import type { Config } from './config/schema.js';
import { ERROR_CODES, SecureSphereError, describeError } from './core/errors.js';
import { createLogger } from './core/logger.js';
import { createReplyStreamHub, type ReplyStreamHub } from './core/reply-stream.js';
import { getOwn } from './core/own.js';
import type { TextScanner } from './orchestrator/deps.js';
import { createOrchestrator, type Orchestrator } from './orchestrator/orchestrator.js';
import { DEFAULT_SYSTEM_PROMPT } from './orchestrator/system-prompt.js';
import { createToolCatalog } from './orchestrator/tool-catalog.js';
import { createInboundHandler } from './inbound.js';
import { createOutboundRouter, type OutboundRouter } from './outbound-router.js';
import { createChannelHostFromConfig, type ExtraChannel } from './channel-host/from-config.js';
import type { PacerClock } from './channel-host/edit-pacer.js';
import type { ChannelHost } from './channel-host/channel-host.js';
import type { RetryPolicy } from './channel-host/outbox.js';
import { createApprovalService, type ApprovalService } from './policy/approval-service.js';
import { createFlagClearing } from './policy/flag-clearing.js';
import { createPolicyEngine } from './policy/policy-engine.js';
import { createProvidersFromConfig } from './providers/from-config.js';
import { createGuardedChat } from './providers/guarded-chat.js';
import { profileFor } from './providers/profiles-config.js';
import { describeProviderErrorForUser, type ProviderManager } from './providers/provider-manager.js';
import { createLazySandbox, type LazySandbox } from './sandbox-lazy.js';
import { AgentStore } from './store/agents.js';
import { createAuditChainFromConfig, type AuditChain } from './security/audit-chain.js';
import { createInjectionDetectorFromConfig } from './security/injection/detector.js';
import { createRateLimiter, type RateLimiter } from './security/rate-limiter.js';
import { createSecretRedactor, type SecretRedactor } from './security/secret-redactor.js';
import { frameUntrusted } from './security/untrusted-content.js';
import { createVault, type Vault } from './security/vault/vault.js';
import { startSkillEgress, type SkillEgressOptions } from './security/skill-egress.js';
import { loadSkills, type SkillLoadError } from './skills/loader.js';
import { operationLevel } from './skills/operation-level.js';
import type { Skill } from './skills/skill.js';
import { ActionStore } from './store/actions.js';
import { ApiTokenStore } from './store/api-tokens.js';
import { ApprovalStore } from './store/approvals.js';
import { ConversationStore } from './store/conversations.js';
import { createProviderStateStore } from './store/provider-state.js';
import { createUsageStore } from './store/usage.js';
import { createTokenBudget } from './providers/token-budget.js';
import { usageRoutes } from './api/routes/usage.js';
import { replyStreamRoutes } from './api/routes/reply-stream.js';
import { checkpointWal, openDatabase, type Db } from './store/database.js';

/** How often the WAL is emptied into the database (and on close). */
const WAL_CHECKPOINT_EVERY_MS = 60_000;

/** How long requests in flight may take to finish when the gateway closes. */
const SHUTDOWN_GRACE_MS = 2000;

export interface GatewayOptions {
  config: Readonly<Config>;
  env?: Readonly<Record<string, string | undefined>>;
  /** Where log lines go (default stderr). */
  logDestination?: { write(line: string): unknown };
  /** Replaces the agent manager (tests of other parts that must not start containers). */
  sandbox?: Sandbox;
  /** Don't probe the sandbox at start; only on first use (tests). Default false. */
  lazySandbox?: boolean;
  /** Extra channel adapters besides the configured ones (tests, embedding programs). */
  channels?: ExtraChannel[];
  /** Outbox retry back-off (default 1 s doubling to 60 s) and channel start back-off (1 s to 5 min). */
  outboxRetry?: RetryPolicy;
  channelStartRetry?: RetryPolicy;
  /** How long start() waits for slow channels before going on without them (default 10 s). */
  channelStartWaitMs?: number;
  /** Time for the pacing of streamed draft edits on chat platforms (tests drive it by hand). */
  replyDraftClock?: PacerClock;
  /** Egress proxy hooks: let allowed names resolve to private addresses, or resolve them yourself (tests, intranets). */
  egress?: Pick<SkillEgressOptions, 'allowPrivateAddresses' | 'lookup' | 'maxResponseBytes'>;
}

export interface Gateway {
  config: Readonly<Config>;
  db: Db;
  logger: Logger;
  redactor: SecretRedactor;
  audit: AuditChain;
  vault: Vault;
  rateLimiter: RateLimiter;
  orchestrator: Orchestrator;
  approvals: ApprovalService;
  providers: ProviderManager;
  /** Replies as they are written: an adapter subscribes to show them progressively. */
  replyStreams: ReplyStreamHub;
  skills: Readonly<Record<string, Skill>>;
  skillErrors: SkillLoadError[];
  outbound: OutboundRouter;
  /** Chat-platform adapters, their outbox and health. */
  channels: ChannelHost;
  /** The agent subsystem (probes runtimes on first call). */
  agents(): Promise<AgentSubsystem>;
  app: FastifyInstance;
  apiToken: string;
  /** Generated on first start: printed once by `securesphere start`. */
  apiTokenCreated: boolean;
  health(): Promise<HealthReport>;
  start(): Promise<void>;
  listen(): Promise<string>;
  close(options?: { stopAgents?: boolean }): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const db = openDatabase(options.config.data_dir);
  try {
    return await buildGateway(options, db);
  } catch (err) {
    // A refused start (bad secret reference, wrong master key) leaves nothing open behind.
    db.close();
    throw err;
  }
}

async function buildGateway(options: GatewayOptions, db: Db): Promise<Gateway> {
  const { config } = options;
  const env = options.env ?? process.env;
  const redactor = createSecretRedactor();
  const logger = createLogger({ level: config.logging.level, format: config.logging.format, redactor, destination: options.logDestination });
  const audit = createAuditChainFromConfig(db, config, redactor);
  const vault = createVault({ db, masterKey: env.SECURESPHERE_MASTER_KEY, keyFile: config.security.vault.key_file, redactor });
  const vaultStatus = vault.status();
  if (vaultStatus.sealed) logger.warn({ vault: 'sealed' }, vaultStatus.message);
  // A sealed vault is no source at all, so a vault:NAME reference fails naming the config key
  // and the reason (sealed), not "no such secret" or a bare VAULT_SEALED error.
  const secretSources = { env, vault: vaultStatus.sealed ? undefined : (name: string) => (vault.has(name) ? vault.get(name) : undefined) };

  const { token: apiToken, created: apiTokenCreated } = resolveApiToken(config, secretSources);
  redactor.add(apiToken);

  const conversations = new ConversationStore(db);
  const actions = new ActionStore(db);
  // Channel messages leave the gateway like API answers do: with every known secret redacted.
  // `host` is built below; nothing is delivered before start().
  const outbound: OutboundRouter = createOutboundRouter({ sink: { deliver: (message) => host.outbound.deliver(message) }, redact: (m) => redactor.redactDeep(m) });
  const rateLimiter = createRateLimiter({ db, config: config.security.rate_limits });
  const usage = createUsageStore(db);
  // Replies as the model writes them, for channels that can show them (web page, terminal).
  const replyStreams = createReplyStreamHub({ onListenerError: (err) => logger.warn({ err: describeError(err) }, 'a reply-stream subscriber failed') });
  const budgets = createTokenBudget({ usage, config: config.budgets });
  // Daily token budgets first (refused until midnight, told once), then the per-minute rate limits.
  const admit = (message: { channel: string; conversationId: string; userId: string }) => {
    const budget = budgets.check(message.userId);
    return budget.allowed ? rateLimiter.checkMessage(message) : budget;
  };

  const { manager: providers, plan: providerPlan } = createProvidersFromConfig(config, {
    logger,
    secrets: secretSources,
    onSecret: (key) => redactor.add(key),
    persist: createProviderStateStore(db),
    redact: (text) => redactor.redact(text),
    dataDir: config.data_dir,
    log: (level, message) => logger[level]({ module: 'providers' }, message),
  });

  const loaded = await loadSkills({ extraDirs: config.skills.extra_dirs, enabled: config.skills.enabled, logger });
  for (const e of loaded.errors) logger.error({ dir: e.dir, file: e.file, reason: e.reason }, 'skill refused');
  const tools = createToolCatalog(loaded.skills);
  // The host-side egress proxy: the only network path a skill has, per-skill allowlisted.
  // Agents reach it through its socket directory, bound read-only into each one.
  const egress = await startSkillEgress({ dataDir: config.data_dir, skills: loaded.skills, settings: config.skills.settings, logger, ...options.egress });

  const approvalStore = new ApprovalStore(db);
  const policy = createPolicyEngine({ config: config.policy, grants: approvalStore });
  const approvals = createApprovalService({
    db,
    actions,
    audit,
    outbound,
    config: config.policy,
    store: approvalStore,
    // `orchestrator` is built below; decisions only arrive after start().
    onDecided: (approval) => orchestrator.resume(approval.conversationId).then(() => undefined),
    onError: (error, context) => logger.error({ err: describeError(error), context }, 'approval side effect failed'),
    // The prompt says why a step is above its skill's declared level (e.g. an inline script),
    // when that is the level it has (an operator override may have set another).
    explainLevel: (approval) => {
      const tool = tools.lookup(approval.skill, approval.operation);
      if (!tool) return undefined;
      const rated = operationLevel(tool.manifest, JSON.parse(approval.canonicalArguments), getOwn(config.skills.settings, approval.skill) ?? {});
      return rated.reason !== undefined && rated.level === approval.securityLevel ? rated.reason : undefined;
    },
  });

  const agentRecords = new AgentStore(db);
  // The agent subsystem is built on first use (or in the background after start()).
  const lazy: LazySandbox | undefined = options.sandbox
    ? undefined
    : createLazySandbox(() =>
        createAgentManager({ db, config: config.sandbox, dataDir: config.data_dir, egressSocketDir: egress.socketDir, audit, logger: logger.child({ module: 'agents' }) }),
        { hasRunningAgent: (conversationId) => agentRecords.forConversation(conversationId).some((r) => r.state === 'running') },
      );
  const sandbox: Sandbox = options.sandbox ?? lazy!;
  const agents = () => {
    if (!lazy) return Promise.reject(new SecureSphereError(ERROR_CODES.SANDBOX_UNAVAILABLE, 'This gateway runs with an injected sandbox; there is no agent manager.'));
    return lazy.ready();
  };

  const detector = createInjectionDetectorFromConfig(config.security.injection);
  const scanner: TextScanner = config.security.injection.enabled ? detector : { scan: () => ({ score: 0, flagged: false, reasons: [] }) };

  const orchestrator: Orchestrator = createOrchestrator({
    settings: {
      systemPrompt: config.provider.system_prompt ?? DEFAULT_SYSTEM_PROMPT,
      maxToolRounds: config.orchestrator.max_tool_rounds,
      turnTimeoutMs: config.orchestrator.turn_timeout_ms,
      historyMessages: config.orchestrator.history_messages,
      maxPendingApprovalsPerConversation: config.policy.max_pending_approvals_per_conversation,
      maxPendingApprovalsPerIdentity: config.policy.max_pending_approvals_per_identity,
    },
    db,
    conversations,
    actions,
    chat: createGuardedChat({ providers, rateLimiter, redactor, usage, profileFor: (where) => profileFor(providerPlan, where) }),
    describeProviderError: describeProviderErrorForUser,
    tools,
    policy,
    approvals,
    sandbox,
    audit,
    outbound,
    scanner,
    frameUntrusted: (input) => frameUntrusted(input),
    redact: (value) => redactor.redactDeep(value),
    containsSecret: (value) => redactor.containsSecret(value),
    secretsFor: (skillName, names) => {
      const out: Record<string, string> = {};
      for (const name of names) out[name] = vault.get(name);
      return out;
    },
    skillSettings: (name) => getOwn(config.skills.settings, name) ?? {},
    egressFor: (name) => egress.egressFor(name),
    // Daily token budgets first (refused until midnight), then the per-minute rate limits.
    replyStreams,
    admit,
    logger,
  });

  const host: ChannelHost = createChannelHostFromConfig({
    config,
    db,
    secretSources,
    orchestrator,
    approvals,
    // Channel messages are admitted by the host: budgets first, then the rate limits.
    rateLimiter: { checkMessage: admit },
    replyStreams,
    audit,
    logger: logger.child({ module: 'channels' }),
    redact: (text) => redactor.redact(text),
    registerSecret: (value) => redactor.add(value),
    ...(options.channels ? { extraChannels: options.channels } : {}),
    ...(options.outboxRetry ? { outboxRetry: options.outboxRetry } : {}),
    ...(options.channelStartRetry ? { startRetry: options.channelStartRetry } : {}),
    ...(options.channelStartWaitMs !== undefined ? { startWaitMs: options.channelStartWaitMs } : {}),
    ...(options.replyDraftClock ? { draftClock: options.replyDraftClock } : {}),
  });
  const baseHealth = createHealthCheck({ providers, sandbox, db, vault, skills: loaded });
  const health = async (): Promise<HealthReport> => {
    const report = await baseHealth();
    const channels = host.health();
    return { ...report, ok: report.ok && channels.every((c) => c.state === 'running'), channels };
  };

  const handleInbound = createInboundHandler(orchestrator, approvals, outbound);
  const routes: RouteGroup[] = [
    messageRoutes(handleInbound, (id) => conversations.channelOf(id)),
    actionRoutes(orchestrator, actions),
    conversationRoutes(conversations),
    conversationFlagRoutes(createFlagClearing({ db, conversations, audit, config: config.policy })),
    approvalRoutes(approvals),
    auditRoutes(audit),
    agentRoutes(agents),
    healthRoutes(health),
    usageRoutes(usage),
    replyStreamRoutes(replyStreams),
    (app) => host.registerRoutes(app),
  ];
  const app = createApiApp({
    token: apiToken,
    tokens: new ApiTokenStore(db),
    bodyLimitBytes: config.server.body_limit_bytes,
    logger,
    authLimiter: rateLimiter.authFailureLimiter,
    hosts: { loopbackOnly: isLoopbackBind(config.server.host), allowedHosts: config.server.allowed_hosts },
    routes,
    redact: (text) => redactor.redact(text),
  });

  let started = false;
  let walTimer: NodeJS.Timeout | undefined;
  const checkpoint = (): void => {
    try {
      checkpointWal(db);
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'WAL checkpoint failed; retried at the next one');
    }
  };
  async function start(): Promise<void> {
    if (started) return;
    started = true;
    // Old WAL frames may hold text that was since replaced or deleted: empty the WAL regularly.
    walTimer = setInterval(checkpoint, WAL_CHECKPOINT_EVERY_MS);
    walTimer.unref();
    await approvals.start();
    await orchestrator.recover();
    // Channels start independently: one that fails is reported in health and retried.
    await host.start();
    if (lazy && !options.lazySandbox) {
      // Probe runtimes and fill the warm pool in the background: start-up does not wait.
      lazy.ready().then(
        (s) => logger.info({ backend: s.info().backend, runtime: s.info().runtime }, 'sandbox ready'),
        (err: unknown) => logger.error({ err: describeError(err) }, 'sandbox unavailable: run `securesphere doctor`'),
      );
    }
  }

  return {
    config,
    db,
    logger,
    redactor,
    audit,
    vault,
    rateLimiter,
    orchestrator,
    approvals,
    providers,
    replyStreams,
    skills: loaded.skills,
    skillErrors: loaded.errors,
    outbound,
    channels: host,
    agents,
    app,
    apiToken,
    apiTokenCreated,
    health,
    start,
    async listen() {
      await start();
      return app.listen({ host: config.server.host, port: config.server.port });
    },
    async close(closeOptions = {}) {
      // Channels first: the web page's open event streams would keep app.close() waiting.
      await host.stop();
      // Requests in flight get a moment to finish; then every socket is cut, including ones a
      // client opened and never used (Node does not count those as idle, and they would hold
      // the shutdown until its headers timeout, a minute or more).
      const closing = app.close();
      const cut = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await closing.finally(() => clearTimeout(cut));
      await approvals.stop();
      await orchestrator.drain();
      if (lazy?.started) {
        const subsystem = await lazy.ready().catch(() => undefined);
        await subsystem?.manager.close({ stopAgents: closeOptions.stopAgents ?? false });
      }
      await egress.close();
      if (walTimer) clearInterval(walTimer);
      checkpoint();
      db.close();
    },
  };
}
