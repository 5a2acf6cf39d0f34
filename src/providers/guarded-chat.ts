// The model call as the orchestrator makes it: on the conversation's profile, its tokens
// recorded for usage and budgets, within the global LLM-call budget, and with
// every known secret redacted on the way out (nothing secret reaches a model) and on the way
// in (a secret the model repeats never reaches the store, an approval prompt or a channel; a
// tool call whose arguments carry one is marked heldSecret and refused, not run altered).
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import type { SecretRedactor } from '../security/secret-redactor.js';
import type { RateLimiter } from '../security/rate-limiter.js';
import type { ModelAnswer, ModelRequest } from '../orchestrator/deps.js';
import { cleanLeakedMarkup } from './leaked-markup.js';
import type { ProviderManager } from './provider-manager.js';
import type { UsageStore } from '../store/usage.js';
import { createStreamProgress } from './stream-progress.js';

export interface GuardedChatDeps {
  providers: ProviderManager;
  rateLimiter: RateLimiter;
  redactor: SecretRedactor;
  /** The profile a conversation starts with (routes, else the default). */
  profileFor?: (where: { channel: string; conversationId: string }) => string;
  /** Where each answered call's tokens are recorded (usage reports, budgets). */
  usage?: UsageStore;
  now?: () => number;
  /** Least time between two streamed snapshots (default 100 ms; 0: one per delta). */
  progressIntervalMs?: number;
}

export function createGuardedChat(deps: GuardedChatDeps) {
  return async (request: ModelRequest, onProgress?: (textSoFar: string) => void): Promise<ModelAnswer> => {
    const llm = deps.rateLimiter.checkLlmCall();
    if (!llm.allowed) {
      throw new SecureSphereError(ERROR_CODES.RATE_LIMITED, `The gateway's language-model budget is used up; try again in ${Math.ceil(llm.retryAfterMs / 1000)} s.`);
    }
    const { context, ...rest } = request;
    const messages = rest.messages.map((m) => deps.redactor.redactDeep(m));
    const profile = deps.profileFor?.({ channel: context.channel, conversationId: context.conversationId });
    const call = { ...rest, messages, ...(profile ? { profile } : {}) };
    let response;
    if (onProgress) {
      const progress = createStreamProgress(deps.redactor, onProgress, deps.progressIntervalMs);
      try {
        response = await deps.providers.chatStream(call, progress.handlers);
      } finally {
        progress.stop();
      }
    } else {
      response = await deps.providers.chat(call);
    }
    deps.usage?.record({
      at: (deps.now ?? Date.now)(),
      profile: response.profile,
      provider: response.provider,
      model: response.model,
      conversationId: context.conversationId,
      userId: context.userId,
      inputTokens: response.usage?.inputTokens ?? 0,
      outputTokens: response.usage?.outputTokens ?? 0,
    });
    const toolCalls = response.toolCalls.map((call) => {
      const clean = deps.redactor.redactDeep(call);
      return deps.redactor.containsSecret(call.arguments) ? { ...clean, heldSecret: true as const } : clean;
    });
    // Leaked template / tool-call markup never reaches the store or a channel.
    return { ...response, text: cleanLeakedMarkup(deps.redactor.redact(response.text)), toolCalls };
  };
}
