// The composition root: builds the real object graph from a frozen config. Nothing else in
// src/ constructs long-lived services; tests call createGateway with a temp data dir and a
// fake provider host, and get the same graph production runs. Each step lives in
// src/composition/ and takes one typed deps object; this file only lists them in order.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AgentSubsystem } from './agents/create-agent-manager.js';
import type { Sandbox } from './agents/sandbox.js';
import type { HealthReport } from './api/routes/health.js';
import type { ChannelHost } from './channel-host/channel-host.js';
import type { ExtraChannel } from './channel-host/from-config.js';
import type { PacerClock } from './channel-host/edit-pacer.js';
import type { RetryPolicy } from './channel-host/outbox.js';
import { buildApi } from './composition/api.js';
import { buildChannels } from './composition/channels.js';
import { createLateBinding } from './composition/late-binding.js';
import { createLifecycle } from './composition/lifecycle.js';
import { buildOrchestrator } from './composition/orchestrator.js';
import { buildPolicy } from './composition/policy.js';
import { buildProviders } from './composition/providers.js';
import { buildSandbox } from './composition/sandbox.js';
import { buildSecurity } from './composition/security.js';
import { buildSkills } from './composition/skills.js';
import { buildStores } from './composition/stores.js';
import { buildTraffic } from './composition/traffic.js';
import type { Config } from './config/schema.js';
import type { ReplyStreamHub } from './core/reply-stream.js';
import type { Orchestrator } from './orchestrator/orchestrator.js';
import type { OutboundRouter } from './outbound-router.js';
import type { ApprovalService } from './policy/approval-service.js';
import type { ProviderManager } from './providers/provider-manager.js';
import type { AuditChain } from './security/audit-chain.js';
import type { RateLimiter } from './security/rate-limiter.js';
import type { SecretRedactor } from './security/secret-redactor.js';
import type { Vault } from './security/vault/vault.js';
import type { SkillEgressOptions } from './security/skill-egress.js';
import type { SkillLoadError } from './skills/loader.js';
import type { Skill } from './skills/skill.js';
import { openDatabase, type Db } from './store/database.js';

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
  // Two edges point forward: the outbound router delivers through the channel host, and a
  // decided approval resumes the orchestrator. Both are used only after start().
  const channelHost = createLateBinding<ChannelHost>('the channel host');
  const resume = createLateBinding<(conversationId: string) => Promise<unknown>>('the orchestrator');

  const security = buildSecurity({ config, db, env: options.env ?? process.env, logDestination: options.logDestination });
  const { logger, redactor, audit, vault } = security;
  const stores = buildStores({ db });
  const traffic = buildTraffic({ config, db, usage: stores.usage, redactor, logger, channelHost });
  const providers = buildProviders({ config, db, logger, secretSources: security.secretSources, redactor });
  const skills = await buildSkills({ config, logger, egress: options.egress });
  const { policy, approvals } = buildPolicy({
    config, db, actions: stores.actions, approvalStore: stores.approvals, audit, outbound: traffic.outbound, tools: skills.tools, logger, resume,
  });
  const sandbox = buildSandbox({ config, db, agentRecords: stores.agents, audit, logger, egressSocketDir: skills.egress.socketDir, injected: options.sandbox });
  const orchestrator = buildOrchestrator({
    config, db, conversations: stores.conversations, actions: stores.actions, usage: stores.usage, providers,
    rateLimiter: traffic.rateLimiter, admit: traffic.admit, redactor, vault, audit, tools: skills.tools, egress: skills.egress,
    policy, approvals, sandbox: sandbox.sandbox, outbound: traffic.outbound, replyStreams: traffic.replyStreams, logger,
  });
  resume.bind((conversationId) => orchestrator.resume(conversationId));
  const host = buildChannels({
    config, db, secretSources: security.secretSources, orchestrator, approvals, admit: traffic.admit, replyStreams: traffic.replyStreams,
    audit, redactor, logger, extraChannels: options.channels, outboxRetry: options.outboxRetry, startRetry: options.channelStartRetry, startWaitMs: options.channelStartWaitMs,
    draftClock: options.replyDraftClock,
  });
  channelHost.bind(host);
  const { app, health } = buildApi({
    config, db, stores, apiToken: security.apiToken, logger, redactor, rateLimiter: traffic.rateLimiter, audit, vault,
    providers: providers.manager, skills: skills.loaded, sandbox: sandbox.sandbox, agents: sandbox.agents, orchestrator, approvals,
    outbound: traffic.outbound, replyStreams: traffic.replyStreams, channelHost: host,
  });
  const lifecycle = createLifecycle({
    config, db, logger, app, approvals, orchestrator, channelHost: host, egress: skills.egress, lazy: sandbox.lazy, lazySandbox: options.lazySandbox === true,
  });

  return {
    config,
    db,
    logger,
    redactor,
    audit,
    vault,
    rateLimiter: traffic.rateLimiter,
    orchestrator,
    approvals,
    providers: providers.manager,
    replyStreams: traffic.replyStreams,
    skills: skills.loaded.skills,
    skillErrors: skills.loaded.errors,
    outbound: traffic.outbound,
    channels: host,
    agents: sandbox.agents,
    app,
    apiToken: security.apiToken,
    apiTokenCreated: security.apiTokenCreated,
    health,
    ...lifecycle,
  };
}
