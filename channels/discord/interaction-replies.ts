// Where the answer to a deferred /ask goes. Discord wants every interaction acknowledged within
// 3 s, so /ask is deferred at once and remembered here per conversation; the next replies the
// outbox delivers there complete it: the first edits the original (deferred) response, later
// ones are follow-ups. The interaction token lives 15 minutes: past that (with a margin), or
// when Discord says the token is dead, the answer goes to the channel as a plain message.
// Must never keep a token longer than its life, log one, or send a prompt with buttons this way
// (prompts are channel messages, so their edits never depend on a token).
import { Routes, type REST } from 'discord.js';
import { DiscordAPIError } from 'discord.js';
import { DEAD_INTERACTION_CODES } from './delivery-errors.js';
import { NO_MENTIONS, type RenderedMessage } from './render.js';

export const INTERACTION_TOKEN_LIFE_MS = 15 * 60_000;
/** Stop using a token this long before Discord would refuse it. */
const TOKEN_MARGIN_MS = 60_000;

interface PendingInteraction {
  interactionId: string;
  token: string;
  createdAt: number;
  originalUsed: boolean;
}

export interface InteractionReplies {
  /** A deferred interaction in this conversation waits for its answer. */
  remember(conversationKey: string, interaction: { id: string; token: string; createdAt: number }): void;
  /** Forgets the conversation's interaction (its /ask was refused). */
  forget(conversationKey: string): void;
  /** A newer message was admitted there: later replies belong to it, unless /ask is still unanswered. */
  forgetAnswered(conversationKey: string): void;
  /**
   * Sends through the conversation's live interaction, if any; resolves to the message id, or
   * undefined when there is none (or its token is dead) and the caller must post to the channel.
   */
  send(conversationKey: string, rendered: RenderedMessage): Promise<string | undefined>;
  clear(): void;
}

export function createInteractionReplies(deps: { rest: () => REST; applicationId: () => string; now: () => number }): InteractionReplies {
  const pending = new Map<string, PendingInteraction>();

  function live(key: string): PendingInteraction | undefined {
    const entry = pending.get(key);
    if (!entry) return undefined;
    if (deps.now() - entry.createdAt > INTERACTION_TOKEN_LIFE_MS - TOKEN_MARGIN_MS) {
      pending.delete(key);
      return undefined;
    }
    return entry;
  }

  return {
    remember(key, interaction) {
      pending.set(key, { interactionId: interaction.id, token: interaction.token, createdAt: interaction.createdAt, originalUsed: false });
    },
    forget(key) {
      pending.delete(key);
    },
    forgetAnswered(key) {
      if (pending.get(key)?.originalUsed) pending.delete(key);
    },
    async send(key, rendered) {
      const entry = live(key);
      if (!entry) return undefined;
      const body = { content: rendered.content, components: rendered.components, allowed_mentions: NO_MENTIONS };
      try {
        const result = entry.originalUsed
          ? await deps.rest().post(Routes.webhook(deps.applicationId(), entry.token), { body, auth: false, query: new URLSearchParams({ wait: 'true' }) })
          : await deps.rest().patch(Routes.webhookMessage(deps.applicationId(), entry.token, '@original'), { body, auth: false });
        entry.originalUsed = true;
        return (result as { id: string }).id;
      } catch (err) {
        if (err instanceof DiscordAPIError && typeof err.code === 'number' && DEAD_INTERACTION_CODES.has(err.code)) {
          pending.delete(key);
          return undefined;
        }
        throw err;
      }
    },
    clear() {
      pending.clear();
    },
  };
}
