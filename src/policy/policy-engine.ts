// The policy engine: turns (skill, operation, declared level, channel, conversation, user,
// flagged turn) into allow / require_approval / deny with a reason.
// Order of precedence, strongest first:
//   1. a matching operator deny rule (e.g. a skill disabled on a channel) → deny;
//   2. the most specific matching operator override with a level → that level, whatever the
//      skill declares about itself (ties: the later rule in the config wins);
//   3. the level the skill's manifest declares, as raised for these arguments by its classify
//      hook (src/skills/operation-level.ts; e.g. shell.run with inline code is critical);
// then a flagged turn raises the level by one, and the level maps to a decision. A stored
// "allow for this conversation" grant turns require_approval into allow, never for critical.
// Names from the model are compared with === against operator strings only; nothing is ever
// looked up on an object by a model-supplied key, so "__proto__" matches nothing.
import type { Config } from '../config/schema.js';
import { SECURITY_LEVELS, type SecurityLevel } from '../core/types.js';
import type { GrantLookup } from '../store/approvals.js';
import type { PolicyDecision, PolicyEngine, PolicyInput } from './policy-types.js';

export type PolicyConfig = Config['policy'];
type OverrideRule = PolicyConfig['overrides'][number];

const SELECTORS = ['skill', 'operation', 'channel', 'conversation', 'user'] as const;

export interface PolicyEngineOptions {
  config: PolicyConfig;
  /** Conversation grants ("allow for this conversation"); ApprovalStore implements this. */
  grants: GrantLookup;
}

export function createPolicyEngine(options: PolicyEngineOptions): PolicyEngine {
  // Copy the rules once: later mutation of the config object cannot change policy.
  const rules: readonly OverrideRule[] = options.config.overrides.map((r) => ({ ...r }));
  const approvers = [...options.config.approvers];
  const admins = [...options.config.admins];
  const grants = options.grants;

  return {
    decide(input: PolicyInput): PolicyDecision {
      const matching = rules.filter((rule) => ruleMatches(rule, input));
      const denyRule = matching.find((rule) => rule.deny === true);
      const declared = isLevel(input.declaredLevel) ? input.declaredLevel : 'critical';
      if (denyRule) {
        return {
          decision: 'deny',
          level: denyRule.level ?? declared,
          reason: denyRule.reason ?? `Operator policy denies ${describe(input)}${describeRule(denyRule)}.`,
        };
      }

      const override = mostSpecific(matching.filter((rule) => rule.level !== undefined));
      let level: SecurityLevel = override?.level ?? declared;
      let source = override
        ? `operator override${describeRule(override)}`
        : input.levelReason
          ? `the skill manifest: ${input.levelReason}`
          : 'the skill manifest';
      if (input.turnFlagged) {
        level = raise(level);
        source += ', raised one step because text flagged as a possible injection is in what the model sees (an approver can clear it: `securesphere conversations clear-flag ID`)';
      }
      const why = `${describe(input)} is ${level} (${source})`;

      switch (level) {
        case 'low':
          return { decision: 'allow', level, reason: `${why}.`, notify: false };
        case 'medium':
          return { decision: 'allow', level, reason: `${why}; the user is told what ran.`, notify: true };
        case 'high': {
          const grant = grants.activeGrant(input.conversationId, input.skill, input.operation, input.userId);
          if (grant) {
            return {
              decision: 'allow',
              level,
              reason: `${why}; allowed for this conversation by ${grant.grantedBy} (grant ${grant.id}).`,
              notify: true,
            };
          }
          return {
            decision: 'require_approval',
            level,
            reason: `${why}: needs approval by the requester or a configured approver.`,
            approvers: unique([input.userId, ...approvers, ...admins]),
          };
        }
        case 'critical':
          if (admins.length === 0) {
            return {
              decision: 'deny',
              level,
              reason: `${why}: it needs an admin's approval, but policy.admins is empty. Add an admin to the config to allow such steps.`,
            };
          }
          return {
            decision: 'require_approval',
            level,
            reason: `${why}: needs approval by an admin.`,
            approvers: unique(admins),
          };
      }
    },
  };
}

function ruleMatches(rule: OverrideRule, input: PolicyInput): boolean {
  const actual: Record<(typeof SELECTORS)[number], string> = {
    skill: input.skill,
    operation: input.operation,
    channel: input.channel,
    conversation: input.conversationId,
    user: input.userId,
  };
  return SELECTORS.every((key) => rule[key] === undefined || rule[key] === actual[key]);
}

function specificity(rule: OverrideRule): number {
  return SELECTORS.filter((key) => rule[key] !== undefined).length;
}

function mostSpecific(rules: OverrideRule[]): OverrideRule | undefined {
  let best: OverrideRule | undefined;
  for (const rule of rules) {
    if (!best || specificity(rule) >= specificity(best)) best = rule;
  }
  return best;
}

function raise(level: SecurityLevel): SecurityLevel {
  const index = SECURITY_LEVELS.indexOf(level);
  return SECURITY_LEVELS[Math.min(index + 1, SECURITY_LEVELS.length - 1)]!;
}

function isLevel(value: unknown): value is SecurityLevel {
  return typeof value === 'string' && (SECURITY_LEVELS as readonly string[]).includes(value);
}

function unique(ids: string[]): string[] {
  return [...new Set(ids.filter((id) => id.length > 0))];
}

function describe(input: PolicyInput): string {
  return `${input.skill}.${input.operation}`;
}

function describeRule(rule: OverrideRule): string {
  const parts = SELECTORS.filter((key) => rule[key] !== undefined).map((key) => `${key}=${rule[key]}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
