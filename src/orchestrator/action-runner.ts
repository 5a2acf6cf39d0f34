// Turns one requested skill operation into a stored action and carries it through policy,
// approval and execution. Every state change is a compare-and-set in the store, so an action
// runs at most once however many callers race for it.
import { ERROR_CODES, SecureSphereError, describeError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { argumentsTooDeep, MAX_INPUT_DEPTH } from '../core/input-depth.js';
import type { ActionRequest, ApprovalPrompt } from '../core/types.js';
import { operationLevel } from '../skills/operation-level.js';
import { secretEnv } from '../skills/secret-env.js';
import { visibleText } from '../core/visible-text.js';
import { collapseRuns, keepEnds } from '../policy/approval-detail.js';
import type { OrchestratorDeps } from './deps.js';

export interface ActionContext {
  channel: string;
  conversationId: string;
  userId: string;
  toolCallId?: string;
  turnFlagged: boolean;
  /** The arguments held a known secret before they reached here (a model's tool call, redacted on arrival). */
  argumentsHeldSecret?: boolean;
}

/** What the model (or API caller) is told when its arguments carry a secret value. */
export const SECRET_IN_ARGUMENTS_MESSAGE =
  'Refused: the arguments contain a value the gateway holds as a secret (not repeated here). Secret values never go into tool arguments; a skill that needs a secret receives it from the vault itself. Call the tool again without it.';

export type ActionOutcome =
  | { kind: 'rejected'; message: string; /** Refused by a cap, not by the arguments: retry later. */ capped?: true }
  | { kind: 'denied'; action: ActionRequest; reason: string }
  | { kind: 'awaiting_approval'; action: ActionRequest; approvalId: string; prompt: ApprovalPrompt }
  | { kind: 'succeeded'; action: ActionRequest; result: unknown }
  | { kind: 'failed'; action: ActionRequest; error: string };

export function createActionRunner(deps: OrchestratorDeps) {
  const now = deps.now ?? Date.now;

  /** Validates, asks policy, and either runs the action, denies it, or opens an approval. */
  async function request(skillName: string, operation: string, rawArgs: unknown, ctx: ActionContext): Promise<ActionOutcome> {
    const tool = deps.tools.lookup(skillName, operation);
    if (!tool) {
      deps.audit.append({ type: 'tool-call-rejected', actor: ctx.userId, conversationId: ctx.conversationId, details: { reason: 'unknown tool', skill: String(skillName).slice(0, 80), operation: String(operation).slice(0, 80) } });
      return { kind: 'rejected', message: `Unknown tool "${String(skillName).slice(0, 80)}_${String(operation).slice(0, 80)}". Use one of the tools you were given.` };
    }
    // Before anything walks them (redaction, validation, hashing, storage all recurse): arguments
    // nested deeper than the fixed limit are refused; the model is told, the turn continues.
    if (argumentsTooDeep(rawArgs)) {
      deps.audit.append({ type: 'tool-call-rejected', actor: ctx.userId, conversationId: ctx.conversationId, details: { reason: 'arguments too deep', skill: skillName, operation, limit: MAX_INPUT_DEPTH } });
      return { kind: 'rejected', message: `Invalid arguments for ${skillName}_${operation}: they nest deeper than ${MAX_INPUT_DEPTH} levels of objects and arrays; send flatter arguments.` };
    }
    // A known secret in the arguments (put there by the model, typed by a user, sent through the
    // API) refuses the call: running it with "[REDACTED]" instead of what was asked would run
    // something nobody asked for. Nothing of it is stored; a skill receives a secret only
    // through its manifest.
    if (ctx.argumentsHeldSecret || deps.containsSecret?.(rawArgs)) {
      deps.audit.append({ type: 'tool-call-rejected', actor: ctx.userId, conversationId: ctx.conversationId, details: { reason: 'secret in arguments', skill: skillName, operation } });
      return { kind: 'rejected', message: SECRET_IN_ARGUMENTS_MESSAGE };
    }
    const parsed = tool.manifest.input.safeParse(deps.redact ? deps.redact(rawArgs ?? {}) : (rawArgs ?? {}));
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ');
      deps.audit.append({ type: 'tool-call-rejected', actor: ctx.userId, conversationId: ctx.conversationId, details: { reason: 'invalid arguments', skill: skillName, operation, issues } });
      return { kind: 'rejected', message: `Invalid arguments for ${skillName}_${operation}: ${issues}` };
    }

    const rated = operationLevel(tool.manifest, parsed.data, deps.skillSettings(skillName));
    const decision = deps.policy.decide({
      skill: skillName,
      operation,
      declaredLevel: rated.level,
      ...(rated.reason !== undefined ? { levelReason: rated.reason } : {}),
      channel: ctx.channel,
      conversationId: ctx.conversationId,
      userId: ctx.userId,
      turnFlagged: ctx.turnFlagged,
    });
    if (decision.decision === 'require_approval') {
      const capped = approvalCap(ctx);
      if (capped) return capped;
    }
    const action = deps.actions.create({
      id: newId('act'),
      conversationId: ctx.conversationId,
      skill: skillName,
      operation,
      arguments: parsed.data,
      securityLevel: decision.level,
      requester: ctx.userId,
      toolCallId: ctx.toolCallId,
    }, now());
    deps.audit.append({ type: 'action-requested', actor: ctx.userId, conversationId: ctx.conversationId, details: { action_id: action.id, skill: skillName, operation, level: decision.level, decision: decision.decision, reason: decision.reason } });

    if (decision.decision === 'deny') {
      deps.actions.transition(action.id, 'pending', 'denied', { note: `policy: ${decision.reason}` }, now());
      deps.audit.append({ type: 'action-denied', actor: 'policy', conversationId: ctx.conversationId, details: { action_id: action.id, reason: decision.reason } });
      return { kind: 'denied', action: deps.actions.get(action.id)!, reason: decision.reason };
    }
    if (decision.decision === 'require_approval') {
      deps.actions.transition(action.id, 'pending', 'awaiting_approval', { note: decision.reason }, now());
      const { approval, prompt } = await deps.approvals.open(deps.actions.get(action.id)!, decision, { channel: ctx.channel });
      return { kind: 'awaiting_approval', action: deps.actions.get(action.id)!, approvalId: approval.id, prompt };
    }
    deps.actions.transition(action.id, 'pending', 'approved', { note: `policy: ${decision.reason}` }, now());
    if (decision.notify) {
      await deliverQuietly(ctx, `Ran ${skillName}_${operation} (${decision.level}): ${summarizeArgs(parsed.data)}`);
    }
    return execute(action.id);
  }

  /** A refusal when too many approval requests already wait in this conversation or from this identity. */
  function approvalCap(ctx: ActionContext): ActionOutcome | undefined {
    const perConversation = deps.settings.maxPendingApprovalsPerConversation;
    const perIdentity = deps.settings.maxPendingApprovalsPerIdentity;
    if (perConversation === undefined && perIdentity === undefined) return undefined;
    const pending = deps.approvals.pendingCounts(ctx.conversationId, ctx.userId);
    let which: string | undefined;
    if (perConversation !== undefined && pending.conversation >= perConversation) which = `${pending.conversation} in this conversation (the limit is ${perConversation})`;
    else if (perIdentity !== undefined && pending.identity >= perIdentity) which = `${pending.identity} from ${ctx.userId} (the limit is ${perIdentity})`;
    if (!which) return undefined;
    deps.audit.append({ type: 'approval-cap-reached', actor: ctx.userId, conversationId: ctx.conversationId, details: { pending_in_conversation: pending.conversation, pending_from_identity: pending.identity } });
    return { kind: 'rejected', capped: true, message: `Not requested: too many approval requests are already waiting, ${which}. Do not ask for more steps that need approval until those are decided or expire.` };
  }

  /** Runs an approved action exactly once; a second caller finds it no longer `approved`. */
  async function execute(actionId: string): Promise<ActionOutcome> {
    const action = deps.actions.get(actionId);
    if (!action) throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No action ${actionId}.`);
    const tool = deps.tools.lookup(action.skill, action.operation);
    if (!deps.actions.transition(actionId, 'approved', 'running', {}, now())) {
      const current = deps.actions.get(actionId)!;
      return { kind: 'failed', action: current, error: `Action is ${current.status}, not approved: it was not run again.` };
    }
    if (!tool) return fail(action, 'The skill for this action is no longer loaded.');
    deps.audit.append({ type: 'action-started', actor: 'gateway', conversationId: action.conversationId, details: { action_id: actionId, skill: action.skill, operation: action.operation } });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), deps.settings.turnTimeoutMs);
    try {
      const manifest = tool.skill.manifest;
      const secrets = deps.secretsFor(action.skill, manifest.sandbox?.secrets ?? []);
      const result = await tool.skill.execute(
        {
          conversationId: action.conversationId,
          actionId,
          // The skill's declared secrets are the environment of its agent executions, and only of its.
          // Tagged with the action: after a crash the agent is asked what became of it.
          agent: deps.sandbox.agentFor(action.conversationId, { limits: manifest.sandbox?.limits, env: secretEnv(manifest, secrets), tag: actionId }),
          secrets,
          config: deps.skillSettings(action.skill),
          ...(deps.egressFor ? { egress: deps.egressFor(action.skill) } : {}),
          signal: controller.signal,
        },
        action.operation,
        action.arguments,
      );
      // A secret a skill returned never reaches the store, the model or an API answer.
      const stored = deps.redact ? deps.redact(result ?? null) : (result ?? null);
      deps.actions.transition(actionId, 'running', 'succeeded', { result: stored }, now());
      deps.audit.append({ type: 'action-succeeded', actor: 'gateway', conversationId: action.conversationId, details: { action_id: actionId } });
      return { kind: 'succeeded', action: deps.actions.get(actionId)!, result: stored };
    } catch (err) {
      const message = describeError(err);
      return fail(action, deps.redact ? deps.redact(message) : message);
    } finally {
      clearTimeout(timer);
    }
  }

  function fail(action: ActionRequest, error: string): ActionOutcome {
    deps.actions.transition(action.id, 'running', 'failed', { error }, now());
    deps.audit.append({ type: 'action-failed', actor: 'gateway', conversationId: action.conversationId, details: { action_id: action.id, error } });
    deps.logger.warn({ actionId: action.id, skill: action.skill, error }, 'action failed');
    return { kind: 'failed', action: deps.actions.get(action.id)!, error };
  }

  async function deliverQuietly(ctx: ActionContext, text: string): Promise<void> {
    try {
      await deps.outbound.deliver({ channel: ctx.channel, conversationId: ctx.conversationId, text });
    } catch (err) {
      deps.logger.warn({ err: describeError(err) }, 'could not deliver a notice');
    }
  }

  return { request, execute };
}

export type ActionRunner = ReturnType<typeof createActionRunner>;

/** The "Ran …" notice's argument text: beginning and end kept, runs collapsed, nothing invisible. */
function summarizeArgs(args: unknown): string {
  return visibleText(keepEnds(collapseRuns(JSON.stringify(args) ?? ''), 300, 180, 100).text);
}
