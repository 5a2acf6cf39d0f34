// What a chat user is told when the model cannot answer. Short, calm, actionable for the
// operator, and never a stack, a host credential or a raw server text: those go to the log.
import { ERROR_CODES, isSecureSphereError } from '../core/errors.js';
import { displayModel } from './ollama-errors.js';

export function describeProviderErrorForUser(err: unknown): string {
  if (!isSecureSphereError(err)) {
    return 'Sorry, something went wrong while generating a reply. Please try again.';
  }
  switch (err.code) {
    case ERROR_CODES.PROVIDER_UNREACHABLE:
      return 'Sorry, the language model is not reachable right now. An operator needs to start it (or fix provider.host); please try again later.';
    case ERROR_CODES.PROVIDER_MODEL_NOT_FOUND: {
      const model = typeof err.details?.model === 'string' ? displayModel(err.details.model) : undefined;
      return model
        ? `Sorry, the model "${model}" is not installed on the model server. An operator needs to run \`ollama pull ${model}\`.`
        : 'Sorry, the configured model is not installed on the model server. An operator needs to pull it.';
    }
    case ERROR_CODES.PROVIDER_TIMEOUT:
      return 'Sorry, the language model took too long to answer. Please try again, perhaps with a shorter request.';
    case ERROR_CODES.PROVIDER_ERROR:
      return err.details?.reason === 'tools_unsupported'
        ? 'Sorry, the configured model cannot use tools. An operator needs to choose a model with tool support.'
        : 'Sorry, the language model returned an error. Please try again later.';
    case ERROR_CODES.TURN_TIMEOUT:
      return 'Sorry, this took too long and was stopped. Please try again.';
    case ERROR_CODES.RATE_LIMITED:
      return 'Sorry, too many requests right now. Please wait a moment and try again.';
    default:
      return 'Sorry, something went wrong while generating a reply. Please try again.';
  }
}
