// The model call as the orchestrator makes it: within the global LLM-call budget, and with
// every known secret redacted on the way out (nothing secret reaches a model) and on the way
// in (a secret the model repeats never reaches the store, an approval prompt or a channel; a
// tool call whose arguments carry one is marked heldSecret and refused, not run altered).
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import type { SecretRedactor } from '../security/secret-redactor.js';
import type { RateLimiter } from '../security/rate-limiter.js';
import type { ChatRequest, ChatResponse } from './provider.js';
import type { ProviderManager } from './provider-manager.js';

export function createGuardedChat(deps: { providers: ProviderManager; rateLimiter: RateLimiter; redactor: SecretRedactor }) {
  return async (request: ChatRequest): Promise<ChatResponse> => {
    const llm = deps.rateLimiter.checkLlmCall();
    if (!llm.allowed) {
      throw new SecureSphereError(ERROR_CODES.RATE_LIMITED, `The gateway's language-model budget is used up; try again in ${Math.ceil(llm.retryAfterMs / 1000)} s.`);
    }
    const messages = request.messages.map((m) => deps.redactor.redactDeep(m));
    const response = await deps.providers.chat({ ...request, messages });
    const toolCalls = response.toolCalls.map((call) => {
      const clean = deps.redactor.redactDeep(call);
      return deps.redactor.containsSecret(call.arguments) ? { ...clean, heldSecret: true as const } : clean;
    });
    return { ...response, text: deps.redactor.redact(response.text), toolCalls };
  };
}
