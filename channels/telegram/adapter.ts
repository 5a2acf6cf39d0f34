// The Telegram adapter on grammy: long polling (default) or a webhook on the gateway's own
// port; text messages from private chats and groups become InboundMessage for the channel
// host; approval prompts are inline keyboards whose presses are decided by the presser's
// Telegram id and answered with the outcome; replies and prompt edits come back through
// deliver()/edit() from the host's outbox. grammy's types never leave channels/telegram/.
// Must never log the bot token (it is part of every Bot API URL) or trust text as an identity.
import { randomBytes } from 'node:crypto';
import { Bot, BotError, GrammyError, HttpError, type Context } from 'grammy';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import type { AdapterHealth, ChannelAdapter, ChannelContext, ChannelLogger, InboundMessage, OutboundDelivery, ReceiveResult } from '../channel.js';
import { BOT_COMMANDS, HELP_TEXT, commandOf } from './commands.js';
import type { TelegramConfig } from './config.js';
import { isNotModified, toDeliveryError } from './delivery-errors.js';
import { addressOf, readMessage } from './inbound.js';
import { startPolling, type Polling } from './polling.js';
import { TELEGRAM_TEXT_LIMIT, decodeCallbackData, renderPrompt, renderText } from './render.js';
import { createTypingIndicator } from './typing.js';
import { registerWebhookRoute } from './webhook.js';

export interface TelegramAdapterDeps {
  config: TelegramConfig;
  /** The resolved bot token. */
  token: string;
  /** The resolved webhook secret; a random one per start when absent. */
  webhookSecret?: string;
  logger: ChannelLogger;
}

const ALLOWED_UPDATES = ['message', 'callback_query'] as const;
const RECEIVE_RETRY_MS = [100, 500, 2_000, 5_000];

function describeTelegramError(err: unknown): string {
  if (err instanceof GrammyError) return `${err.method}: ${err.error_code} ${err.description}`;
  if (err instanceof HttpError) {
    const cause = err.error as { code?: string; name?: string } | undefined;
    return `network: ${cause?.code ?? cause?.name ?? 'request failed'}`;
  }
  return err instanceof Error ? err.message : 'unknown error';
}

function chatTarget(conversationId: string): number | string {
  return /^-?\d+$/.test(conversationId) ? Number(conversationId) : conversationId;
}

/** The adapter, plus what the webhook route (registered before grammy is even loaded) calls. */
export interface TelegramAdapter extends ChannelAdapter {
  /** The secret Telegram must send, or undefined while not running. */
  webhookSecret(): string | undefined;
  handleWebhookUpdate(update: unknown): Promise<void>;
}

export function createTelegramAdapter(deps: TelegramAdapterDeps): TelegramAdapter {
  const { config, logger } = deps;
  const bot = new Bot(deps.token, { client: { apiRoot: config.api_root } });
  let ctx: ChannelContext | undefined;
  let running = false;
  let webhookSecret: string | undefined;
  let polling: Polling | undefined;
  const health: AdapterHealth = { connected: false, details: { mode: config.mode } };

  // Every Bot API call passes here: the link is up when Telegram answers, down when it cannot.
  bot.api.config.use(async (prev, method, payload, signal) => {
    try {
      const answer = await prev(method, payload, signal);
      // A refused token (401) or a server error is no working link; a 400 about one message is.
      const working = answer.ok || (answer.error_code < 500 && answer.error_code !== 401);
      health.connected = working;
      if (!working) health.lastError = `${method}: ${answer.error_code} ${answer.description}`;
      return answer;
    } catch (err) {
      if (!(signal?.aborted ?? false)) {
        health.connected = false;
        health.lastError = describeTelegramError(err);
      }
      throw err;
    }
  });

  const typing = createTypingIndicator({
    sendTyping: (chatId, threadId) => bot.api.sendChatAction(chatTarget(chatId), 'typing', threadId ? { message_thread_id: Number(threadId) } : {}),
    onError: (err) => logger.debug({ err: describeTelegramError(err) }, 'telegram typing indicator failed'),
  });


  async function onMessage(c: Context): Promise<void> {
    const host = ctx!;
    const read = readMessage(c.update.message, bot.botInfo);
    if (!read.ok) {
      if (read.reason === 'message without text') logger.debug({ update_id: c.update.update_id }, 'telegram: ignored a message without text');
      else host.dropMalformed(`telegram ${read.reason}`, { update_id: c.update.update_id });
      return;
    }
    const inbound = read.message;
    const message = c.update.message!;
    const command = commandOf(message, bot.botInfo);
    // Command answers go through the host's durable outbox like every reply (stored, in order, retried).
    if (command === 'start' || command === 'help') return host.notify(addressOf(message), HELP_TEXT);
    if (command === 'new' || command === 'status') {
      const address = addressOf(message);
      try {
        if (command === 'new') {
          await host.resetConversation(address, inbound.senderId);
          return host.notify(address, 'Started a new conversation. Earlier messages, grants and files no longer apply here.');
        }
        return host.notify(address, await host.statusText(address, inbound.senderId));
      } catch (err) {
        const text = err instanceof SecureSphereError ? err.message : 'That did not work; try again later.';
        return host.notify(address, text);
      }
    }
    const since = typing.mark(inbound.conversationId, inbound.threadId);
    const result = await admit(host, inbound);
    if (result.status === 'admitted' && config.typing_indicator) typing.start(inbound.conversationId, inbound.threadId, since);
    if (result.status === 'refused' && result.reason !== 'not_addressed') logger.info({ reason: result.reason }, 'telegram message refused');
  }

  /**
   * receive(), retried a few times when the host fails (a busy database): in polling mode
   * grammy confirms an update once its handler returns, so giving up loses the message. In
   * webhook mode a failure answers 500 and Telegram itself retries.
   */
  async function admit(host: ChannelContext, inbound: InboundMessage): Promise<ReceiveResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await host.receive(inbound);
      } catch (err) {
        if (config.mode === 'webhook' || attempt >= RECEIVE_RETRY_MS.length || !running) throw err;
        logger.warn({ attempt: attempt + 1, err: err instanceof Error ? err.message : String(err) }, 'telegram: the gateway could not admit a message; retrying');
        await new Promise((resolve) => setTimeout(resolve, RECEIVE_RETRY_MS[attempt]));
      }
    }
  }

  async function onCallbackQuery(c: Context): Promise<void> {
    const host = ctx!;
    const query = c.update.callback_query!;
    if (typeof query.id !== 'string' || typeof query.from?.id !== 'number' || typeof query.data !== 'string') {
      host.dropMalformed('telegram callback query without id, sender or data', { update_id: c.update.update_id });
      return;
    }
    const decoded = decodeCallbackData(query.data);
    if (!decoded) {
      logger.warn({ update_id: c.update.update_id }, 'telegram: a button press carried data that is not ours');
      await c.answerCallbackQuery({ text: 'This button is not valid.', show_alert: true }).catch(() => undefined);
      return;
    }
    const message = query.message;
    const address = message && typeof message.chat?.id === 'number' ? addressOf(message) : {};
    let text: string;
    let alert: boolean;
    try {
      const outcome = await host.decide({ ...address, approvalId: decoded.approvalId, decision: decoded.decision, userId: String(query.from.id) });
      text = outcome.message;
      alert = outcome.status === 'refused';
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'telegram: deciding an approval failed');
      text = 'The decision could not be recorded; try again.';
      alert = true;
    }
    await c
      .answerCallbackQuery({ text: text.length > 200 ? `${text.slice(0, 199)}…` : text, show_alert: alert })
      .catch((err: unknown) => logger.warn({ err: describeTelegramError(err) }, 'telegram answerCallbackQuery failed'));
  }

  bot.on('message', onMessage);
  bot.on('callback_query', onCallbackQuery);
  bot.use((c) => ctx?.dropMalformed('telegram update of an unexpected kind', { update_id: c.update.update_id }));

  async function handleWebhookUpdate(update: unknown): Promise<void> {
    if (typeof update !== 'object' || update === null || typeof (update as { update_id?: unknown }).update_id !== 'number') {
      ctx?.dropMalformed('telegram webhook body is not an update');
      return;
    }
    await bot.handleUpdate(update as Parameters<Bot['handleUpdate']>[0]);
  }

  return {
    name: 'telegram',
    limits: { maxTextLength: TELEGRAM_TEXT_LIMIT, supportsEdit: true },

    async start(context) {
      ctx = context;
      try {
        // One getMe, no endless retries: a bad token or an unreachable API fails this start,
        // and the host retries it with back-off.
        bot.botInfo = await bot.api.getMe();
      } catch (err) {
        throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `Telegram did not accept the bot (${describeTelegramError(err)}): check channels.telegram.token and api_root.`);
      }
      health.details = { mode: config.mode, bot: bot.botInfo.username };
      await bot.api.setMyCommands([...BOT_COMMANDS]).catch((err: unknown) => logger.warn({ err: describeTelegramError(err) }, 'telegram setMyCommands failed'));
      running = true;
      if (config.mode === 'webhook') {
        const secret = deps.webhookSecret ?? randomBytes(32).toString('base64url');
        try {
          await bot.api.setWebhook(config.webhook.url!, { secret_token: secret, allowed_updates: [...ALLOWED_UPDATES], drop_pending_updates: false });
        } catch (err) {
          running = false;
          throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `Telegram refused the webhook (${describeTelegramError(err)}): check channels.telegram.webhook.url.`);
        }
        webhookSecret = secret;
      } else {
        try {
          // Polling and a webhook exclude each other: a webhook left from webhook mode goes.
          await bot.api.deleteWebhook();
        } catch (err) {
          running = false;
          throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `Telegram did not accept deleteWebhook (${describeTelegramError(err)}); polling cannot start.`);
        }
        polling = startPolling({
          getUpdates: (params, signal) => bot.api.getUpdates(params as Parameters<Bot['api']['getUpdates']>[0], signal as Parameters<Bot['api']['getUpdates']>[1]),
          handle: (update) => bot.handleUpdate(update),
          onUpdateError: (err, update) => {
            const cause = err instanceof BotError ? err.error : err;
            logger.error({ err: cause instanceof Error ? cause.message : String(cause), update_id: update.update_id }, 'telegram update handling failed');
          },
          onPollError: (err, retryInMs) => logger.warn({ err: describeTelegramError(err), retry_in_ms: retryInMs }, 'telegram getUpdates failed; retrying'),
          timeoutSeconds: config.polling.timeout_seconds,
          allowedUpdates: ALLOWED_UPDATES,
        });
      }
      logger.info({ mode: config.mode, bot: bot.botInfo.username }, 'telegram channel started');
    },

    async stop() {
      running = false;
      webhookSecret = undefined;
      typing.stopAll();
      await polling?.stop();
      polling = undefined;
      health.connected = false;
    },

    async deliver(message: OutboundDelivery) {
      const { conversationId, threadId } = message.address;
      typing.stop(conversationId, threadId);
      const rendered = message.approval ? renderPrompt(message.approval) : renderText(message.text);
      try {
        const sent = await bot.api.sendMessage(chatTarget(conversationId), rendered.html, {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
          ...(threadId ? { message_thread_id: Number(threadId) } : {}),
          ...(rendered.keyboard ? { reply_markup: rendered.keyboard } : {}),
        });
        return { platformMessageId: String(sent.message_id) };
      } catch (err) {
        throw toDeliveryError(err, message.approval ? 'an approval prompt' : 'a message');
      }
    },

    async edit(platformMessageId: string, message: OutboundDelivery) {
      const rendered = message.approval ? renderPrompt(message.approval) : renderText(message.text);
      try {
        // Without reply_markup Telegram removes the buttons: a decided prompt keeps none.
        await bot.api.editMessageText(chatTarget(message.address.conversationId), Number(platformMessageId), rendered.html, {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
          ...(rendered.keyboard ? { reply_markup: rendered.keyboard } : {}),
        });
      } catch (err) {
        if (isNotModified(err)) return;
        throw toDeliveryError(err, 'an edit');
      }
    },

    health() {
      return { ...health, ...(health.details ? { details: { ...health.details } } : {}) };
    },

    webhookSecret: () => (running ? webhookSecret : undefined),
    handleWebhookUpdate,

    registerRoutes(app: FastifyInstance) {
      if (config.mode !== 'webhook') return;
      registerWebhookRoute(app, { path: config.webhook.path, secret: () => (running ? webhookSecret : undefined), handle: handleWebhookUpdate, logger });
    },
  };
}
