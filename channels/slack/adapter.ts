// The Slack adapter on @slack/bolt: Socket Mode (default) or HTTP mode on the gateway's own
// port; DMs, @mentions (answered in a thread) and thread replies become InboundMessage for the
// channel host; approval prompts are Block Kit with Approve / Deny / Allow buttons decided by the
// presser's Slack id; replies and prompt updates come back through deliver()/edit() from the
// host's outbox, and Slack's 429 Retry-After reaches the outbox as a rate-limit error. Every reply
// carries metadata naming its outbox entry; an entry that may already have been posted (before a
// crash, or by a call that timed out) is looked for in the conversation before it is posted.
// Every client made here (Bolt's, Socket Mode's, our own) uses the configured Web API base.
// Loaded only when the Slack channel starts (lazy.ts), so a gateway without Slack never loads Bolt.
// Slack SDK types never leave channels/slack/. Must never log a token or the signing secret.
import { App, webApi, type Receiver } from '@slack/bolt';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { ChannelDeliveryError, type AdapterHealth, type ChannelAdapter, type ChannelLogger, type OutboundDelivery } from '../channel.js';
import { deliveryKey } from '../delivery-key.js';
import { createBoltLogger } from './bolt-logger.js';
import type { SlackConfig } from './config.js';
import { describeSlackError, toDeliveryError } from './delivery-errors.js';
import { createDispatch } from './dispatch.js';
import type { SlackEventsRoute } from './http-route.js';
import type { SlackWorkspaceInfo } from './inbound.js';
import { ephemeralSender, registerListeners } from './listeners.js';
import { SLACK_TEXT_LIMIT, renderPrompt, toMrkdwn, type RenderedMessage } from './render.js';
import { createSocketReceiver } from './socket-receiver.js';
import { createUserNames } from './user-names.js';

const BOT_THREADS_KEPT = 10_000;
/** The metadata event every reply carries, naming its outbox entry (../delivery-key.ts). */
const DELIVERY_EVENT = 'securesphere_reply';
const DELIVERY_KEY_LENGTH = 32;
/** How far back before an entry was queued a look for its earlier copy starts (clocks differ). */
const LOOK_BACK_S = 120;
/** Messages read when looking for an earlier copy: one page. */
const LOOK_LIMIT = 200;

export interface SlackAdapterDeps {
  config: SlackConfig;
  botToken: string;
  /** Socket Mode's app-level token (xapp-…). */
  appToken?: string;
  /** HTTP mode: the route on the gateway's server (registered before the adapter loads). */
  eventsRoute?: SlackEventsRoute;
  logger: ChannelLogger;
}

export function createSlackAdapter(deps: SlackAdapterDeps): ChannelAdapter {
  const { config, logger } = deps;
  const boltLogger = createBoltLogger(logger);
  // The outbox retries and waits itself: the SDK must neither retry nor sleep on a 429.
  const clientOptions = () => ({ slackApiUrl: config.api_url, rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, timeout: 15_000 });
  const client = new webApi.WebClient(deps.botToken, { ...clientOptions(), logger: boltLogger });
  const health: AdapterHealth = { connected: false, details: { mode: config.mode } };
  const names = createUserNames({
    lookup: async (user) => {
      const found = await client.users.info({ user });
      return found.user?.profile?.display_name || found.user?.real_name || found.user?.name;
    },
  });
  let app: App | undefined;
  // Threads the bot has posted in (newest kept): a reply there is addressed to the bot.
  const botThreads = new Set<string>();
  const rememberThread = (channel: string, threadTs: string) => {
    const key = `${channel}/${threadTs}`;
    botThreads.delete(key);
    botThreads.add(key);
    if (botThreads.size > BOT_THREADS_KEPT) botThreads.delete(botThreads.values().next().value!);
  };

  /**
   * The ts of this entry's message if it is already in the conversation (posted before a crash or
   * by a call that failed without a clear answer): the bot's messages since the entry was queued,
   * by their metadata. A failed look sends the reply again rather than lose it.
   */
  async function findDelivered(message: OutboundDelivery, key: string): Promise<string | undefined> {
    const { conversationId: channel, threadId } = message.address;
    const oldest = message.queuedAt !== undefined ? String(Math.floor(message.queuedAt / 1000) - LOOK_BACK_S) : undefined;
    const window = { channel, include_all_metadata: true, limit: LOOK_LIMIT, ...(oldest ? { oldest } : {}) };
    try {
      const page = threadId ? await client.conversations.replies({ ...window, ts: threadId }) : await client.conversations.history(window);
      const mine = page.messages?.find((m) => m.metadata?.event_type === DELIVERY_EVENT && (m.metadata.event_payload as { delivery?: unknown } | undefined)?.delivery === key);
      return mine?.ts;
    } catch (err) {
      logger.warn({ err: describeSlackError(err), channel }, 'slack: could not look for an earlier copy of a reply; posting it');
      return undefined;
    }
  }

  // HTTP mode: a Bolt receiver that only holds the App; the gateway's route feeds it.
  const http = deps.eventsRoute
    ? (() => {
        let boltApp: App | undefined;
        const route = deps.eventsRoute;
        const dispatch = createDispatch({ app: () => boltApp, logger });
        const receiver: Receiver = {
          init(a: App) {
            boltApp = a;
            route.attach(dispatch);
          },
          async start() {},
          async stop() {},
        };
        return {
          receiver,
          detach() {
            route.attach(undefined);
            boltApp = undefined;
          },
        };
      })()
    : undefined;

  function requireSecret(value: string | undefined, key: string): string {
    if (value) return value;
    throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `channels.slack.${key} is needed in mode ${config.mode}; set it to a secret reference.`);
  }

  async function whoAmI(): Promise<SlackWorkspaceInfo> {
    try {
      const me = await client.auth.test();
      if (!me.team_id || !me.user_id || !me.bot_id) throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, 'Slack auth.test did not name the bot; use a bot token (xoxb-…).');
      return { teamId: me.team_id, botUserId: me.user_id, botId: me.bot_id };
    } catch (err) {
      if (err instanceof SecureSphereError) throw err;
      const reason = describeSlackError(err);
      throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `Slack refused to start (${reason}); check channels.slack.bot_token and api_url.`, { cause: err });
    }
  }

  async function call(what: string, run: () => Promise<{ ts?: string }>): Promise<{ ts?: string }> {
    try {
      const result = await run();
      if (config.mode === 'http') health.connected = true;
      return result;
    } catch (err) {
      const failure = toDeliveryError(err, what);
      health.lastError = describeSlackError(err);
      if (config.mode === 'http' && failure.failure === 'transient') health.connected = false;
      throw failure;
    }
  }

  /** Stops the current App (its socket, if any); a socket that never says goodbye is left after 3 s. */
  async function stopApp(): Promise<void> {
    http?.detach();
    const running = app;
    app = undefined;
    health.connected = false;
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 3_000);
      timer.unref();
    });
    await Promise.race([running.stop().catch((err: unknown) => logger.warn({ err: describeSlackError(err) }, 'slack: stopping the app failed')), giveUp]);
    clearTimeout(timer);
  }

  function render(message: OutboundDelivery): RenderedMessage {
    return message.approval ? renderPrompt(message.approval) : { text: toMrkdwn(message.text) };
  }

  return {
    name: 'slack',
    limits: { maxTextLength: SLACK_TEXT_LIMIT, supportsEdit: true },

    async start(ctx) {
      await stopApp();
      const info = await whoAmI().catch((err: unknown) => {
        health.lastError = err instanceof Error ? err.message : 'start failed';
        throw err;
      });
      const receiver =
        http?.receiver ??
        createSocketReceiver({
          appToken: requireSecret(deps.appToken, 'app_token'),
          apiUrl: config.api_url,
          logger,
          boltLogger,
          onLink(connected, lastError) {
            health.connected = connected;
            if (lastError) health.lastError = lastError;
          },
        });
      app = new App({
        token: deps.botToken,
        botId: info.botId,
        botUserId: info.botUserId,
        receiver,
        logger: boltLogger as never,
        clientOptions: clientOptions(),
        installerOptions: { clientOptions: clientOptions() },
        tokenVerificationEnabled: false,
        convoStore: false,
        ignoreSelf: true,
      });
      registerListeners(app, {
        host: ctx,
        info,
        slashCommand: config.slash_command,
        logger,
        postEphemeral: ephemeralSender((args) => client.chat.postEphemeral(args as never), logger),
        inBotThread: (channel, threadTs) => botThreads.has(`${channel}/${threadTs}`),
        nameOf: (user) => names.nameOf(user),
        // Asked before a slash command is acknowledged: Slack's answer or "don't know" within 800 ms.
        isMember: (channel) => {
          let timer: NodeJS.Timeout | undefined;
          const unknown = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 800)));
          const asked = client.conversations
            .info({ channel })
            .then((found) => found.channel?.is_member)
            .catch((err: unknown) => void logger.debug({ err: describeSlackError(err) }, 'slack: conversations.info failed'));
          return Promise.race([asked, unknown]).finally(() => clearTimeout(timer));
        },
      });
      try {
        await app.start();
      } catch (err) {
        await stopApp();
        const reason = describeSlackError(err);
        health.lastError = reason;
        throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `Slack ${config.mode === 'socket' ? 'Socket Mode did not connect' : 'did not start'} (${reason}); check channels.slack.app_token (xapp-…, connections:write) and api_url.`, { cause: err });
      }
      health.connected = true;
      health.details = { mode: config.mode, team: info.teamId, bot_user: info.botUserId };
    },

    async stop() {
      await stopApp();
    },

    async deliver(message) {
      const { text, blocks } = render(message);
      const { conversationId: channel, threadId } = message.address;
      const key = deliveryKey(message, DELIVERY_KEY_LENGTH);
      const earlier = message.uncertain ? await findDelivered(message, key) : undefined;
      if (earlier) {
        logger.info({ channel, outbox_id: message.deliveryId }, 'slack: the reply was already posted before a restart or a failed call; not posting it again');
        if (threadId) rememberThread(channel, threadId);
        return { platformMessageId: earlier };
      }
      const result = await call('chat.postMessage', () =>
        client.chat.postMessage({
          channel,
          text,
          ...(blocks ? { blocks: blocks as never } : {}),
          ...(threadId ? { thread_ts: threadId } : {}),
          metadata: { event_type: DELIVERY_EVENT, event_payload: { delivery: key } },
          unfurl_links: false,
          unfurl_media: false,
        }),
      );
      if (!result.ts) throw new ChannelDeliveryError('transient', 'chat.postMessage answered without a ts; retrying.');
      if (threadId) rememberThread(channel, threadId);
      return { platformMessageId: result.ts };
    },

    async edit(platformMessageId, message) {
      const { text, blocks } = render(message);
      await call('chat.update', () => client.chat.update({ channel: message.address.conversationId, ts: platformMessageId, text, blocks: (blocks ?? []) as never }));
    },

    health: () => ({ ...health, ...(health.details ? { details: { ...health.details } } : {}) }),
  };
}
