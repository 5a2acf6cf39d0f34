// Composition step 10: the health report and the HTTP API — every route group behind the
// bearer-token check, the Host/Origin guards and the auth-failure limiter. Answers leave
// through the redactor; nothing listens until listen().
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AgentSubsystem } from '../agents/create-agent-manager.js';
import type { Sandbox } from '../agents/sandbox.js';
import { createApiApp, type RouteGroup } from '../api/app.js';
import { isLoopbackBind } from '../api/request-guards.js';
import { actionRoutes } from '../api/routes/actions.js';
import { agentRoutes } from '../api/routes/agents.js';
import { approvalRoutes } from '../api/routes/approvals.js';
import { auditRoutes } from '../api/routes/audit.js';
import { conversationFlagRoutes } from '../api/routes/conversation-flags.js';
import { conversationRoutes } from '../api/routes/conversations.js';
import { healthRoutes, type HealthReport } from '../api/routes/health.js';
import { messageRoutes } from '../api/routes/messages.js';
import { replyStreamRoutes } from '../api/routes/reply-stream.js';
import { usageRoutes } from '../api/routes/usage.js';
import type { ChannelHost } from '../channel-host/channel-host.js';
import type { Config } from '../config/schema.js';
import type { ReplyStreamHub } from '../core/reply-stream.js';
import { createHealthCheck } from '../gateway-health.js';
import { createInboundHandler } from '../inbound.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { OutboundRouter } from '../outbound-router.js';
import type { ApprovalService } from '../policy/approval-service.js';
import { createFlagClearing } from '../policy/flag-clearing.js';
import type { ProviderManager } from '../providers/provider-manager.js';
import type { AuditChain } from '../security/audit-chain.js';
import type { RateLimiter } from '../security/rate-limiter.js';
import type { SecretRedactor } from '../security/secret-redactor.js';
import type { Vault } from '../security/vault/vault.js';
import type { LoadedSkills } from '../skills/loader.js';
import type { Db } from '../store/database.js';
import type { Stores } from './stores.js';

export interface ApiDeps {
  config: Readonly<Config>;
  db: Db;
  stores: Stores;
  apiToken: string;
  logger: Logger;
  redactor: SecretRedactor;
  rateLimiter: RateLimiter;
  audit: AuditChain;
  vault: Vault;
  providers: ProviderManager;
  skills: LoadedSkills;
  sandbox: Sandbox;
  agents: () => Promise<AgentSubsystem>;
  orchestrator: Orchestrator;
  approvals: ApprovalService;
  outbound: OutboundRouter;
  replyStreams: ReplyStreamHub;
  channelHost: ChannelHost;
}

export interface ApiServices {
  app: FastifyInstance;
  /** The gateway's health: store, provider, sandbox, vault and skills, plus every channel. */
  health(): Promise<HealthReport>;
}

export function buildApi(deps: ApiDeps): ApiServices {
  const { config, db, stores, redactor, audit, channelHost: host } = deps;
  const baseHealth = createHealthCheck({ providers: deps.providers, sandbox: deps.sandbox, db, vault: deps.vault, skills: deps.skills });
  const health = async (): Promise<HealthReport> => {
    const report = await baseHealth();
    const channels = host.health();
    return { ...report, ok: report.ok && channels.every((c) => c.state === 'running'), channels };
  };

  const handleInbound = createInboundHandler(deps.orchestrator, deps.approvals, deps.outbound);
  const routes: RouteGroup[] = [
    messageRoutes(handleInbound, (id) => stores.conversations.channelOf(id)),
    actionRoutes(deps.orchestrator, stores.actions),
    conversationRoutes(stores.conversations),
    conversationFlagRoutes(createFlagClearing({ db, conversations: stores.conversations, audit, config: config.policy })),
    approvalRoutes(deps.approvals),
    auditRoutes(audit),
    agentRoutes(deps.agents),
    healthRoutes(health),
    usageRoutes(stores.usage),
    replyStreamRoutes(deps.replyStreams),
    (app) => host.registerRoutes(app),
  ];
  const app = createApiApp({
    token: deps.apiToken,
    tokens: stores.apiTokens,
    bodyLimitBytes: config.server.body_limit_bytes,
    logger: deps.logger,
    authLimiter: deps.rateLimiter.authFailureLimiter,
    hosts: { loopbackOnly: isLoopbackBind(config.server.host), allowedHosts: config.server.allowed_hosts },
    routes,
    redact: (text) => redactor.redact(text),
  });
  return { app, health };
}
