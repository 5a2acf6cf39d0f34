// Shows approval prompts: sends a request's prompt to its channel, and re-sends it with the
// outcome once decided or expired (the channel host turns that into an edit of every copy).
// A failed delivery goes to onError, never to the caller: a prompt not shown is still
// answerable through the API and the CLI, and expiry cleans it up otherwise.
import type { OutboundSink } from '../core/outbound.js';
import type { ApprovalPrompt, ApprovalRequest } from '../core/types.js';
import { buildApprovalPrompt } from './approval-prompt.js';
import { renderApprovalText } from './approval-text.js';

export interface PromptPublisher {
  /** Sends `prompt` for `approval`; resolves to the platform message id when the channel returns one at once. */
  deliver(approval: ApprovalRequest, prompt: ApprovalPrompt, failure: string): Promise<string | undefined>;
  /** Re-sends the stored request's current prompt (with its outcome). */
  show(approval: ApprovalRequest): Promise<void>;
}

export function createPromptPublisher(
  outbound: OutboundSink,
  onError: (error: unknown, context: string) => void,
  promptFor: (approval: ApprovalRequest) => ApprovalPrompt,
): PromptPublisher {
  async function deliver(approval: ApprovalRequest, prompt: ApprovalPrompt, failure: string): Promise<string | undefined> {
    if (!approval.channel) return undefined;
    try {
      return await outbound.deliver({
        channel: approval.channel,
        conversationId: approval.conversationId,
        text: renderApprovalText(prompt),
        approval: prompt,
        ...(approval.platformMessageId !== undefined ? { replacesPlatformMessageId: approval.platformMessageId } : {}),
      });
    } catch (error) {
      onError(error, `${failure} of approval ${approval.id}`);
      return undefined;
    }
  }
  return {
    deliver,
    async show(approval) {
      await deliver(approval, promptFor(approval), 'could not update the prompt');
    },
  };
}

/**
 * The prompt of a stored request, with why its level is what it is when that can be said
 * (explainLevel). A failing explanation is reported to onError and the prompt goes without it.
 */
export function createPromptRenderer(
  explainLevel: ((approval: ApprovalRequest) => string | undefined) | undefined,
  onError: (error: unknown, context: string) => void,
): (approval: ApprovalRequest) => ApprovalPrompt {
  return (approval) => {
    let levelReason: string | undefined;
    try {
      levelReason = explainLevel?.(approval);
    } catch (error) {
      onError(error, `could not explain the level of approval ${approval.id}`);
    }
    return buildApprovalPrompt(approval, levelReason !== undefined ? { levelReason } : {});
  };
}
