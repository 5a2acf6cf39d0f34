// Composition step 8: the orchestrator — the turn loop that calls the model, checks each tool
// call against policy, waits for approvals and runs tools in the sandbox. Every dependency
// comes in here; secrets reach a skill only by name, through the vault, at call time.
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Sandbox } from '../agents/sandbox.js';
import type { Config } from '../config/schema.js';
import { getOwn } from '../core/own.js';
import type { ReplyStreamHub } from '../core/reply-stream.js';
import type { TextScanner } from '../orchestrator/deps.js';
import { createOrchestrator, type Orchestrator } from '../orchestrator/orchestrator.js';
import { DEFAULT_SYSTEM_PROMPT } from '../orchestrator/system-prompt.js';
import type { ToolCatalog } from '../orchestrator/tool-catalog.js';
import type { OutboundRouter } from '../outbound-router.js';
import type { ApprovalService } from '../policy/approval-service.js';
import type { PolicyEngine } from '../policy/policy-types.js';
import type { ConfiguredProviders } from '../providers/from-config.js';
import { createGuardedChat } from '../providers/guarded-chat.js';
import { profileFor } from '../providers/profiles-config.js';
import { describeProviderErrorForUser } from '../providers/provider-manager.js';
import type { AuditChain } from '../security/audit-chain.js';
import { createInjectionDetectorFromConfig } from '../security/injection/detector.js';
import { SENTENCE_MODEL, sentenceModelPath } from '../security/injection/semantic/location.js';
import type { RateLimiter } from '../security/rate-limiter.js';
import type { SecretRedactor } from '../security/secret-redactor.js';
import type { SkillEgressService } from '../security/skill-egress.js';
import { frameUntrusted } from '../security/untrusted-content.js';
import type { Vault } from '../security/vault/vault.js';
import type { ActionStore } from '../store/actions.js';
import type { ConversationStore } from '../store/conversations.js';
import type { Db } from '../store/database.js';
import type { UsageStore } from '../store/usage.js';
import type { Admit } from './traffic.js';

export interface OrchestratorDeps {
  config: Readonly<Config>;
  db: Db;
  conversations: ConversationStore;
  actions: ActionStore;
  usage: UsageStore;
  providers: ConfiguredProviders;
  rateLimiter: RateLimiter;
  admit: Admit;
  redactor: SecretRedactor;
  vault: Vault;
  audit: AuditChain;
  tools: ToolCatalog;
  egress: SkillEgressService;
  policy: PolicyEngine;
  approvals: ApprovalService;
  sandbox: Sandbox;
  outbound: OutboundRouter;
  replyStreams: ReplyStreamHub;
  logger: Logger;
}

/**
 * The injection scanner (both stages when the sentence model is installed under data_dir), or
 * one that flags nothing when security.injection.enabled is false.
 */
function scannerFor(config: Readonly<Config>, logger: Logger): TextScanner {
  if (!config.security.injection.enabled) return { assess: () => ({ score: 0, flagged: false, reasons: [] }) };
  const path = sentenceModelPath(config.data_dir);
  if (config.security.injection.semantic && !existsSync(path)) {
    logger.warn(`The injection detector runs its first stage only: the sentence model ${path} is missing. Run \`securesphere model pull ${SENTENCE_MODEL.name}\` (scripts/setup.sh does), or set security.injection.semantic: false.`);
  }
  return createInjectionDetectorFromConfig(config.security.injection, { sentenceModelPath: path, onFallback: (message) => logger.warn(message) });
}

export function buildOrchestrator(deps: OrchestratorDeps): Orchestrator {
  const { config, redactor, vault, egress } = deps;
  const { manager: providers, plan: providerPlan } = deps.providers;
  return createOrchestrator({
    settings: {
      systemPrompt: config.provider.system_prompt ?? DEFAULT_SYSTEM_PROMPT,
      maxToolRounds: config.orchestrator.max_tool_rounds,
      turnTimeoutMs: config.orchestrator.turn_timeout_ms,
      historyMessages: config.orchestrator.history_messages,
      maxPendingApprovalsPerConversation: config.policy.max_pending_approvals_per_conversation,
      maxPendingApprovalsPerIdentity: config.policy.max_pending_approvals_per_identity,
    },
    db: deps.db,
    conversations: deps.conversations,
    actions: deps.actions,
    chat: createGuardedChat({ providers, rateLimiter: deps.rateLimiter, redactor, usage: deps.usage, profileFor: (where) => profileFor(providerPlan, where) }),
    describeProviderError: describeProviderErrorForUser,
    tools: deps.tools,
    policy: deps.policy,
    approvals: deps.approvals,
    sandbox: deps.sandbox,
    audit: deps.audit,
    outbound: deps.outbound,
    scanner: scannerFor(config, deps.logger),
    frameUntrusted: (input) => frameUntrusted(input),
    redact: (value) => redactor.redactDeep(value),
    containsSecret: (value) => redactor.containsSecret(value),
    secretsFor: (_skillName, names) => {
      const out: Record<string, string> = {};
      for (const name of names) out[name] = vault.get(name);
      return out;
    },
    skillSettings: (name) => getOwn(config.skills.settings, name) ?? {},
    egressFor: (name) => egress.egressFor(name),
    replyStreams: deps.replyStreams,
    // Daily token budgets first (refused until midnight), then the per-minute rate limits.
    admit: deps.admit,
    logger: deps.logger,
  });
}
