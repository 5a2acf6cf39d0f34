// Composition step 6: the policy engine (levels, overrides, conversation grants) and the
// approval service (durable, exactly-once decisions). A decided approval resumes its
// conversation through the orchestrator, which a later step builds; decisions only arrive
// after start().
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { describeError } from '../core/errors.js';
import { getOwn } from '../core/own.js';
import type { OutboundRouter } from '../outbound-router.js';
import type { ToolCatalog } from '../orchestrator/tool-catalog.js';
import { createApprovalService, type ApprovalService } from '../policy/approval-service.js';
import { createPolicyEngine } from '../policy/policy-engine.js';
import type { PolicyEngine } from '../policy/policy-types.js';
import type { AuditChain } from '../security/audit-chain.js';
import { operationLevel } from '../skills/operation-level.js';
import type { ActionStore } from '../store/actions.js';
import type { ApprovalStore } from '../store/approvals.js';
import type { Db } from '../store/database.js';
import type { LateBinding } from './late-binding.js';

export interface PolicyDeps {
  config: Readonly<Config>;
  db: Db;
  actions: ActionStore;
  approvalStore: ApprovalStore;
  audit: AuditChain;
  outbound: OutboundRouter;
  tools: ToolCatalog;
  logger: Logger;
  /** Resumes a conversation once its approval is decided (the orchestrator, built later). */
  resume: LateBinding<(conversationId: string) => Promise<unknown>>;
}

export interface PolicyServices {
  policy: PolicyEngine;
  approvals: ApprovalService;
}

export function buildPolicy({ config, db, actions, approvalStore, audit, outbound, tools, logger, resume }: PolicyDeps): PolicyServices {
  const policy = createPolicyEngine({ config: config.policy, grants: approvalStore });
  const approvals = createApprovalService({
    db,
    actions,
    audit,
    outbound,
    config: config.policy,
    store: approvalStore,
    onDecided: (approval) => resume.get()(approval.conversationId).then(() => undefined),
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
  return { policy, approvals };
}
