// The tool-calling loop of one turn: call the model, run the tool calls it asks for through
// the action runner, feed the results back, until it answers in text, a step waits for a
// human, the round limit is reached, or the turn times out. All state lives in the store, so a
// turn suspended for an approval can be continued later by another call to `continueTurn`.
import { ERROR_CODES, SecureSphereError, describeError, isSecureSphereError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { ChatMessage, ToolCall } from '../core/types.js';
import { quotesFlaggedText } from '../security/quoted-text.js';
import type { ActionContext, ActionOutcome, ActionRunner } from './action-runner.js';
import type { ModelAnswer, OrchestratorDeps } from './deps.js';
import type { TurnOutcome } from './turn-outcome.js';

export interface TurnContext {
  channel: string;
  conversationId: string;
  userId: string;
}

export function createTurnLoop(deps: OrchestratorDeps, runner: ActionRunner) {
  const now = deps.now ?? Date.now;

  async function continueTurn(ctx: TurnContext): Promise<TurnOutcome> {
    const outcome: TurnOutcome = { conversationId: ctx.conversationId, status: 'completed', actions: [], pendingApprovals: [] };
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), deps.settings.turnTimeoutMs);
    try {
      for (let round = 0; round < deps.settings.maxToolRounds; round++) {
        // Whether flagged text is in the history the model is about to read (before its own
        // message is appended and pushes the window on).
        const viewFlagged = historyFlagged(ctx);
        const response = await callModel(ctx, controller.signal);
        const toolCalls = response.toolCalls.map((c) => ({ ...c, id: c.id || newId('call') }));
        if (toolCalls.length === 0) {
          return await finish(ctx, outcome, 'completed', response.text, true, response);
        }
        deps.conversations.append(ctx.conversationId, { role: 'assistant', content: response.text, toolCalls }, { flagged: replyFlagged(ctx, response.text), now: now(), ...answeredBy(response) });
        for (const call of toolCalls) {
          const result = await runToolCall(ctx, call, viewFlagged);
          if (result.kind !== 'rejected') {
            const a = result.action;
            outcome.actions.push({ id: a.id, skill: a.skill, operation: a.operation, status: a.status, security_level: a.securityLevel });
          }
          if (result.kind === 'awaiting_approval') {
            outcome.pendingApprovals.push({ id: result.approvalId, action_id: result.action.id, summary: result.prompt.summary });
          }
        }
        if (outcome.pendingApprovals.length > 0) {
          outcome.status = 'awaiting_approval';
          return outcome;
        }
      }
      const text = `I stopped after ${deps.settings.maxToolRounds} rounds of tool calls without reaching an answer. Ask again more specifically, or raise orchestrator.max_tool_rounds.`;
      deps.audit.append({ type: 'turn-round-limit', actor: 'gateway', conversationId: ctx.conversationId, details: { rounds: deps.settings.maxToolRounds } });
      return await finish(ctx, outcome, 'failed', text, true);
    } catch (err) {
      const timedOut = controller.signal.aborted;
      const text = timedOut
        ? `This turn took longer than ${formatDuration(deps.settings.turnTimeoutMs)} and was stopped.`
        : deps.describeProviderError(err);
      deps.logger.error({ err: describeError(err), code: isSecureSphereError(err) ? err.code : undefined, conversationId: ctx.conversationId }, timedOut ? 'turn timed out' : 'turn failed');
      deps.audit.append({ type: 'turn-failed', actor: 'gateway', conversationId: ctx.conversationId, details: { reason: timedOut ? 'timeout' : describeError(err).slice(0, 300), code: isSecureSphereError(err) ? err.code : null } });
      return await finish(ctx, outcome, 'failed', text);
    } finally {
      clearTimeout(timer);
    }
  }

  async function callModel(ctx: TurnContext, signal: AbortSignal) {
    const history = trimToTurnBoundary(deps.conversations.recent(ctx.conversationId, deps.settings.historyMessages).map((m) => m.message));
    const messages: ChatMessage[] = [{ role: 'system', content: deps.settings.systemPrompt }, ...history];
    const request = { messages, tools: deps.tools.definitions(), signal, context: { channel: ctx.channel, conversationId: ctx.conversationId, userId: ctx.userId } };
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => reject(new SecureSphereError(ERROR_CODES.TURN_TIMEOUT, 'The turn timed out.'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    const streams = deps.replyStreams;
    if (!streams?.wants(ctx.channel, ctx.conversationId)) return Promise.race([deps.chat(request), aborted]);
    const streamId = newId('rs');
    const publish = (text: string, done: boolean, final = false) =>
      streams.publish({ channel: ctx.channel, conversationId: ctx.conversationId, streamId, text, done, ...(done ? { final } : {}) });
    let last = '';
    try {
      const answer = await Promise.race([
        deps.chat(request, (text) => {
          last = text;
          publish(text, false);
        }),
        aborted,
      ]);
      // Tool calls run only now, with the answer complete; a text answer is delivered next. The
      // whole text (redacted and cleaned like the streamed parts) ends the stream either way:
      // words written before a tool call stay visible where a platform keeps them (a draft).
      const final = answer.toolCalls.length === 0;
      publish(answer.text, true, final);
      return answer;
    } catch (err) {
      publish(last, true, false);
      throw err;
    }
  }

  function historyFlagged(ctx: TurnContext): boolean {
    return deps.conversations.historyFlagged(ctx.conversationId, deps.settings.historyMessages);
  }

  async function runToolCall(ctx: TurnContext, call: ToolCall, viewFlagged: boolean): Promise<ActionOutcome> {
    const tool = deps.tools.resolve(call.name);
    // Flagged text anywhere in what the model saw raises this step, not only text of this turn
    // (a tool output flagged earlier in this same batch counts too).
    const turnFlagged = viewFlagged || historyFlagged(ctx);
    const actx: ActionContext = { ...ctx, toolCallId: call.id, turnFlagged, ...(call.heldSecret ? { argumentsHeldSecret: true } : {}) };
    const outcome = tool
      ? await runner.request(tool.skillName, tool.operation, call.arguments, actx)
      : ({ kind: 'rejected', message: `Unknown tool "${String(call.name).slice(0, 80)}". Use one of the tools you were given.` } as const);
    if (!tool) {
      deps.audit.append({ type: 'tool-call-rejected', actor: ctx.userId, conversationId: ctx.conversationId, details: { reason: 'unknown tool', tool: String(call.name).slice(0, 80) } });
    }
    await recordToolResult(ctx, call.id, String(call.name).slice(0, 80), outcome);
    return outcome;
  }

  /** Stores the tool message the model will read for a finished (or refused) tool call. */
  async function recordToolResult(ctx: TurnContext, toolCallId: string, toolName: string, outcome: ActionOutcome): Promise<void> {
    let content: string;
    let flagged = false;
    switch (outcome.kind) {
      case 'awaiting_approval':
        return;
      case 'rejected':
        content = `Error: ${outcome.message}`;
        break;
      case 'denied':
        content = `Not run: ${outcome.reason}`;
        break;
      case 'succeeded':
      case 'failed': {
        const raw = outcome.kind === 'succeeded' ? JSON.stringify(outcome.result ?? null) : `The tool failed: ${outcome.error}`;
        // Scan the text the tool produced, not its JSON punctuation and field names.
        const scan = await deps.scanner.assess(outcome.kind === 'succeeded' ? textOf(outcome.result) : outcome.error);
        flagged = scan.flagged;
        content = deps.frameUntrusted({ source: toolName, text: raw });
        if (flagged) {
          deps.audit.append({ type: 'injection-detected', actor: 'detector', conversationId: ctx.conversationId, details: { where: 'tool-output', tool: toolName, score: scan.score, reasons: scan.reasons } });
          await notify(ctx, `Warning: the output of ${toolName} looks like a prompt-injection attempt; further steps in this conversation need approval until it leaves the history or an approver clears the flag.`);
        }
        break;
      }
    }
    deps.conversations.append(ctx.conversationId, { role: 'tool', content, toolCallId, toolName }, { flagged, now: now() });
  }

  /** Stores the reply (when `store`) and its audit event in one transaction, then delivers it. */
  async function finish(ctx: TurnContext, outcome: TurnOutcome, status: TurnOutcome['status'], text: string, store = false, answer?: ModelAnswer): Promise<TurnOutcome> {
    outcome.status = status;
    // The history keeps the model's words; the user is also told when another profile answered.
    const shown = answer?.failedOverFrom ? `${text}\n\n(answered by profile "${answer.profile}", ${answer.provider} ${answer.model}: profile "${answer.failedOverFrom}" could not answer)` : text;
    outcome.reply = { text: shown, ...(answer?.profile && answer.model ? { profile: answer.profile, model: answer.model } : {}) };
    deps.db.transaction(() => {
      if (store) deps.conversations.append(ctx.conversationId, { role: 'assistant', content: text }, { flagged: replyFlagged(ctx, text), now: now(), ...answeredBy(answer) });
      deps.audit.append({ type: 'reply-sent', actor: 'gateway', conversationId: ctx.conversationId, details: { status, length: text.length, ...(answer?.profile ? { profile: answer.profile } : {}) } });
    })();
    await notify(ctx, shown);
    return outcome;
  }

  /**
   * A stored reply that repeats flagged text the model saw (quoting an injection) keeps the
   * conversation raised while the reply is in the history window, even after the original left it.
   */
  function replyFlagged(ctx: TurnContext, text: string): boolean {
    if (!text) return false;
    const flagged = deps.conversations.flaggedTexts(ctx.conversationId, deps.settings.historyMessages);
    if (flagged.length === 0 || !quotesFlaggedText(text, flagged)) return false;
    deps.audit.append({ type: 'injection-detected', actor: 'detector', conversationId: ctx.conversationId, details: { where: 'reply', reasons: ['quotes flagged text'] } });
    return true;
  }

  async function notify(ctx: TurnContext, text: string): Promise<void> {
    try {
      await deps.outbound.deliver({ channel: ctx.channel, conversationId: ctx.conversationId, text });
    } catch (err) {
      deps.logger.warn({ err: describeError(err), channel: ctx.channel }, 'could not deliver a message to the channel');
    }
  }

  return { continueTurn, recordToolResult, notify };
}

export type TurnLoop = ReturnType<typeof createTurnLoop>;

function answeredBy(answer: ModelAnswer | undefined): { answeredBy?: { profile: string; model: string } } {
  return answer?.profile && answer.model ? { answeredBy: { profile: answer.profile, model: answer.model } } : {};
}

/** History handed to the model starts at a user message, never mid tool exchange. */
function trimToTurnBoundary(messages: ChatMessage[]): ChatMessage[] {
  const first = messages.findIndex((m) => m.role === 'user');
  return first <= 0 ? messages : messages.slice(first);
}

/** The string values inside a tool result, one per line: what an attacker could have written. */
function textOf(value: unknown): string {
  const parts: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (typeof v === 'string') parts.push(v);
    else if (typeof v === 'number' || typeof v === 'boolean') parts.push(String(v));
    else if (v && typeof v === 'object' && depth < 20) for (const item of Object.values(v)) walk(item, depth + 1);
  };
  walk(value, 0);
  return parts.join('\n');
}

function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}
