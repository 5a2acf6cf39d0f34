// Slash commands and button presses. Every interaction is acknowledged well inside Discord's
// 3 seconds: /ask is deferred before the message is handed to the host (the model's answer later
// edits that response, see interaction-replies.ts); /approve, /deny, /status and /new are
// answered directly (deferred first when the host takes longer than 2 s); a button press is decided by the presser's Discord id (never by text) and
// answered at once: a refusal ephemerally, a decision by acknowledging the press (the prompt is
// then edited through the outbox, without buttons, saying who decided and when).
// Must never let a discord.js type escape this folder, or decide from anything but the platform's user field.
import type { ButtonInteraction, ChatInputCommandInteraction, Interaction } from 'discord.js';
import type { ChannelContext, ChannelLogger } from '../channel.js';
import type { InteractionReplies } from './interaction-replies.js';
import { decodeCustomId, NO_MENTIONS } from './render.js';

const EPHEMERAL = 64;
/** Discord allows 3 s to acknowledge; work not done within this is deferred first. */
const ACK_BUDGET_MS = 2_000;

/** The work's value if it settles within `ms`, else `done: false` (the work goes on). */
async function settleWithin<T>(work: Promise<T>, ms: number): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  try {
    return await Promise.race([work.then((value) => ({ done: true as const, value })), late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface InteractionHandlerDeps {
  host: () => ChannelContext | undefined;
  replies: InteractionReplies;
  logger: ChannelLogger;
  now: () => number;
  /** How long a command or press may take before it is acknowledged as deferred (default 2 s). */
  ackBudgetMs?: number;
}

export function createInteractionHandler(deps: InteractionHandlerDeps): (interaction: Interaction) => Promise<void> {
  const { logger } = deps;

  async function answer(interaction: ChatInputCommandInteraction | ButtonInteraction, content: string, ephemeral: boolean): Promise<void> {
    await interaction.reply({ content, allowedMentions: NO_MENTIONS, ...(ephemeral ? { flags: EPHEMERAL } : {}) });
  }

  /** Replies with the work's answer, deferring first when it is not ready within the acknowledgement budget. */
  async function replyInTime(interaction: ChatInputCommandInteraction, work: Promise<{ content: string; ephemeral: boolean }>, ephemeralIfSlow: boolean): Promise<void> {
    const quick = await settleWithin(work, deps.ackBudgetMs ?? ACK_BUDGET_MS);
    if (quick.done) return answer(interaction, quick.value.content, quick.value.ephemeral);
    await interaction.deferReply(ephemeralIfSlow ? { flags: EPHEMERAL } : {});
    const content = await work.then(
      (done) => done.content,
      () => 'That did not work; try again in a moment.',
    );
    await interaction.editReply({ content, allowedMentions: NO_MENTIONS });
  }

  async function onCommand(host: ChannelContext, interaction: ChatInputCommandInteraction): Promise<void> {
    const address = { conversationId: interaction.channelId };
    const userId = interaction.user.id;
    switch (interaction.commandName) {
      case 'ask': {
        // Acknowledge first: the host stores the message at once, but the model may take minutes.
        const createdAt = deps.now();
        await interaction.deferReply();
        const text = interaction.options.getString('text', true);
        deps.replies.remember(interaction.channelId, { id: interaction.id, token: interaction.token, createdAt });
        const result = await host.receive({
          ...address,
          chatType: interaction.inGuild() ? 'group' : 'direct',
          senderId: userId,
          senderName: interaction.user.globalName ?? interaction.user.username,
          text,
          time: interaction.createdAt,
          platformMessageId: interaction.id,
          ...(interaction.inGuild() ? { addressedToBot: true } : {}),
        });
        // (No typing indicator: the deferred response already shows that the bot is thinking.)
        if (result.status === 'refused') {
          deps.replies.forget(interaction.channelId);
          await interaction.editReply({ content: result.message, allowedMentions: NO_MENTIONS });
        }
        return;
      }
      case 'approve':
      case 'deny': {
        const approvalId = interaction.options.getString('id', true).trim();
        const work = host.decide({ ...address, approvalId, decision: interaction.commandName, userId }).then((o) => ({ content: o.message, ephemeral: o.status === 'refused' }));
        await replyInTime(interaction, work, true);
        return;
      }
      case 'status':
        await replyInTime(interaction, host.statusText(address, userId).then((content) => ({ content, ephemeral: true })), true);
        return;
      case 'new': {
        const work = host.resetConversation(address, userId).then(() => ({ content: 'Started a new conversation here: fresh history, grants and sandbox.', ephemeral: false }));
        await replyInTime(interaction, work, false);
        return;
      }
      default:
        host.dropMalformed('discord: unknown slash command', { command: interaction.commandName.slice(0, 40) });
        await answer(interaction, 'Unknown command.', true);
    }
  }

  async function onButton(host: ChannelContext, interaction: ButtonInteraction): Promise<void> {
    const decoded = decodeCustomId(interaction.customId);
    if (!decoded) {
      host.dropMalformed('discord: button with an unknown custom_id', { length: interaction.customId.length });
      await answer(interaction, 'This button is not one of mine.', true);
      return;
    }
    const work = host.decide({ conversationId: interaction.channelId, approvalId: decoded.approvalId, decision: decoded.decision, userId: interaction.user.id });
    const quick = await settleWithin(work, deps.ackBudgetMs ?? ACK_BUDGET_MS);
    if (!quick.done) {
      // Slow: acknowledge the press now, say a refusal afterwards.
      await interaction.deferUpdate();
      const outcome = await work;
      if (outcome.status === 'refused') await interaction.followUp({ content: outcome.message, allowedMentions: NO_MENTIONS, flags: EPHEMERAL });
      return;
    }
    if (quick.value.status === 'refused') {
      await answer(interaction, quick.value.message, true);
      return;
    }
    // Decided: acknowledge the press; the prompt edit (buttons removed, who and when) follows from the outbox.
    await interaction.deferUpdate();
  }

  return async (interaction) => {
    const host = deps.host();
    if (!host) return;
    try {
      if (interaction.isChatInputCommand()) await onCommand(host, interaction);
      else if (interaction.isButton()) await onButton(host, interaction);
      else host.dropMalformed('discord: unsupported interaction type', { type: interaction.type });
    } catch (err) {
      logger.warn({ interaction_type: interaction.type, err: err instanceof Error ? err.message : 'failed' }, 'discord: answering an interaction failed');
    }
  };
}
