// What a chat user is told when the model cannot answer. Short, calm, actionable for the
// operator, and never a stack, a host, a key or a raw server text: those go to the log.
// Vendor-specific advice comes from the provider as details.userHint (e.g. Ollama's
// `ollama pull`); nothing here names a vendor.
import { ERROR_CODES, isSecureSphereError } from '../core/errors.js';

const GENERIC = 'Sorry, something went wrong while generating a reply. Please try again.';

export function describeProviderErrorForUser(err: unknown): string {
  if (!isSecureSphereError(err)) return GENERIC;
  const hint = typeof err.details?.userHint === 'string' ? err.details.userHint : undefined;
  if (hint) return `Sorry, ${hint}.`;
  if (err.details?.allFailed === true) {
    return 'Sorry, no language model could answer right now (every configured provider is down or busy). Please try again later.';
  }
  switch (err.code) {
    case ERROR_CODES.PROVIDER_UNREACHABLE:
      return 'Sorry, the language model is not reachable right now. An operator needs to start it or fix its address; please try again later.';
    case ERROR_CODES.PROVIDER_MODEL_NOT_FOUND:
      return 'Sorry, the configured model does not exist on the model server. An operator needs to fix the model name or install it.';
    case ERROR_CODES.PROVIDER_TIMEOUT:
      return 'Sorry, the language model took too long to answer. Please try again, perhaps with a shorter request.';
    case ERROR_CODES.PROVIDER_AUTH:
      return 'Sorry, the language model refused the gateway\'s API key. An operator needs to fix the key.';
    case ERROR_CODES.PROVIDER_RATE_LIMITED: {
      const ms = err.details?.retryAfterMs;
      return typeof ms === 'number'
        ? `Sorry, the language model is rate limiting us. Please try again in ${Math.max(1, Math.ceil(ms / 1000))} s.`
        : 'Sorry, the language model is rate limiting us. Please try again in a moment.';
    }
    case ERROR_CODES.PROVIDER_UNAVAILABLE:
      return 'Sorry, the language model is unavailable right now. Please try again later.';
    case ERROR_CODES.PROVIDER_BAD_REQUEST:
      return 'Sorry, the language model refused this request as invalid. An operator can find the reason in the log.';
    case ERROR_CODES.PROVIDER_TOOLS_UNSUPPORTED:
      return 'Sorry, the configured model cannot use tools. An operator needs to choose a model with tool support.';
    case ERROR_CODES.PROVIDER_ERROR:
      return 'Sorry, the language model returned an error. Please try again later.';
    case ERROR_CODES.TURN_TIMEOUT:
      return 'Sorry, this took too long and was stopped. Please try again.';
    case ERROR_CODES.RATE_LIMITED:
      return 'Sorry, too many requests right now. Please wait a moment and try again.';
    default:
      return GENERIC;
  }
}
