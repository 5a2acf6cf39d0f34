// The Discord adapter on discord.js v14: one gateway connection with the Guilds, GuildMessages,
// MessageContent and DirectMessages intents (partial DM channels); DMs and guild channels or
// threads where the bot is mentioned or replied to become InboundMessage for the channel host;
// slash commands registered on start; approval prompts as button components decided by the
// presser's Discord id; replies and prompt edits come back through deliver()/edit() from the
// host's outbox. discord.js resumes dropped sessions itself; replays are de-duplicated by the
// host; a new session (start-up, or a resume Discord refused) catches up from channel history.
// The REST client neither waits nor retries (the outbox does, with Discord's retry_after).
// Every send carries a nonce made from the outbox entry (../delivery-key.ts) with `enforce_nonce`:
// a reply sent just before a crash, and sent again by the outbox after the restart, comes back as
// the same message (Discord remembers a nonce for a few minutes).
// discord.js types never leave channels/discord/. Must never log the token.
import { Client, Events, GatewayIntentBits, Partials, Routes, type Message } from 'discord.js';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { ChannelDeliveryError, type AdapterHealth, type ChannelAdapter, type ChannelContext, type ChannelLogger, type OutboundDelivery } from '../channel.js';
import { deliveryKey } from '../delivery-key.js';
import { catchUpConversations } from './catch-up.js';
import { SLASH_COMMANDS } from './commands.js';
import type { DiscordConfig } from './config.js';
import { describeDiscordError, toDeliveryError } from './delivery-errors.js';
import { readMessage } from './inbound.js';
import { createInteractionReplies } from './interaction-replies.js';
import { createInteractionHandler } from './interactions.js';
import { startThread } from './threads.js';
import { DISCORD_TEXT_LIMIT, NO_MENTIONS, renderPrompt, renderText, type RenderedMessage } from './render.js';

export interface DiscordAdapterDeps {
  config: DiscordConfig;
  token: string;
  logger: ChannelLogger;
  /** Clock for the interaction token's life (tests move it on). */
  now?: () => number;
  /** How long start() waits for the gateway to become ready. */
  readyTimeoutMs?: number;
  /** How long a slash command or press may take before it is acknowledged as deferred (default 2 s of Discord's 3). */
  ackBudgetMs?: number;
  /** First wait before a catch-up that could not read every conversation is repeated (doubles, up to 5 min). */
  catchUpRetryMs?: number;
}

export function createDiscordAdapter(deps: DiscordAdapterDeps): ChannelAdapter {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const health: AdapterHealth = { connected: false };
  let host: ChannelContext | undefined;
  let client: Client | undefined;
  let botId = '';

  const replies = createInteractionReplies({ rest: () => requireClient().rest, applicationId: () => client?.application?.id ?? botId, now });

  function requireClient(): Client {
    if (!client) throw new ChannelDeliveryError('transient', 'discord: the adapter is not connected; retrying.');
    return client;
  }

  // Typing costs a request from the bot's global budget (50/s): shown only when the answer
  // has not gone out within TYPING_AFTER_MS, and dropped as soon as something is sent there.
  const typingTimers = new Map<string, NodeJS.Timeout>();
  function typing(channelId: string): void {
    if (typingTimers.has(channelId)) return;
    const timer = setTimeout(() => {
      typingTimers.delete(channelId);
      client?.rest.post(Routes.channelTyping(channelId)).catch(() => undefined);
    }, TYPING_AFTER_MS);
    timer.unref();
    typingTimers.set(channelId, timer);
  }
  function stopTyping(channelId: string): void {
    clearTimeout(typingTimers.get(channelId));
    typingTimers.delete(channelId);
  }

  const onInteraction = createInteractionHandler({ host: () => host, replies, logger, now, ...(deps.ackBudgetMs !== undefined ? { ackBudgetMs: deps.ackBudgetMs } : {}) });

  // One catch-up at a time per client; one that could not read every conversation is repeated
  // with back-off (the de-duplication makes re-reading harmless) until it could.
  let catchUpTimer: NodeJS.Timeout | undefined;
  let catchUpRunning: Promise<void> | undefined;
  let catchUpAgain = false;
  function catchUp(attempt = 0): void {
    clearTimeout(catchUpTimer);
    catchUpTimer = undefined;
    const forClient = client;
    const ctx = host;
    if (!forClient || !ctx) return;
    if (catchUpRunning) {
      // A new session while one runs: its gap may be later than what the running one reads.
      catchUpAgain = true;
      return;
    }
    catchUpRunning = catchUpConversations({ client: forClient, host: ctx, botId, sinceMs: now() - config.catch_up_hours * 3_600_000, logger })
      .catch((err: unknown) => {
        logger.warn({ err: describeDiscordError(err) }, 'discord: catching up on history failed');
        return { admitted: 0, failed: 1 };
      })
      .then(({ failed }) => {
        catchUpRunning = undefined;
        if (client !== forClient) return;
        if (catchUpAgain) {
          catchUpAgain = false;
          catchUp();
          return;
        }
        if (failed === 0) return;
        const wait = Math.min(CATCH_UP_RETRY_MAX_MS, (deps.catchUpRetryMs ?? CATCH_UP_RETRY_MS) * 2 ** Math.min(attempt, 10));
        catchUpTimer = setTimeout(() => catchUp(attempt + 1), wait);
        catchUpTimer.unref();
      });
  }

  async function onMessage(message: Message): Promise<void> {
    const ctx = host;
    const rest = client?.rest;
    if (!ctx || !rest) return;
    const read = readMessage(message, botId);
    if (read.kind === 'ignore') return;
    // threads: true: a mention in a text channel is its own conversation, the thread started from it.
    const threaded = config.threads && message.inGuild() && !message.channel.isThread() && read.message.addressedToBot === true;
    const inbound = threaded ? { ...read.message, conversationId: message.id } : read.message;
    try {
      const result = await ctx.receive(inbound);
      const owesAnswer = result.status === 'admitted' || (result.status === 'refused' && (result.reason === 'pairing_required' || result.reason === 'rate_limited'));
      if (threaded && owesAnswer) await startThread(rest, { channelId: message.channelId, messageId: message.id, text: inbound.text }, logger);
      if (result.status !== 'admitted') return;
      replies.forgetAnswered(inbound.conversationId);
      typing(inbound.conversationId);
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : 'failed' }, 'discord: a message could not be stored');
    }
  }

  function buildClient(): Client {
    const made = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent, GatewayIntentBits.DirectMessages],
      partials: [Partials.Channel, Partials.Message],
      allowedMentions: NO_MENTIONS,
      rest: { api: config.api_url, retries: 0, rejectOnRateLimit: () => true, timeout: 15_000 },
    });
    made.on(Events.MessageCreate, (message) => void onMessage(message));
    made.on(Events.InteractionCreate, (interaction) => void onInteraction(interaction));
    // Raw runs before discord.js builds its objects from the packet; a packet it would choke on
    // (and throw out of an event handler, ending the process) is renamed so it handles nothing.
    made.on(Events.Raw, (packet: { t?: string; d?: Record<string, unknown> }) => {
      const problem = malformedDispatch(packet);
      if (!problem) return;
      host?.dropMalformed(`discord: ${problem}`, { event: String(packet.t) });
      packet.t = DROPPED_EVENT;
    });
    made.on(Events.ShardReady, () => {
      // A new session (fires before ClientReady): the catch-up needs the bot's id for mentions.
      if (made.user) botId = made.user.id;
      health.connected = true;
      catchUp();
    });
    made.on(Events.ShardResume, () => {
      health.connected = true;
    });
    made.on(Events.ShardDisconnect, () => {
      health.connected = false;
    });
    made.on(Events.ShardReconnecting, () => {
      health.connected = false;
    });
    made.on(Events.ShardError, (err) => {
      health.lastError = `gateway: ${err.message}`;
    });
    made.on(Events.Error, (err) => {
      health.lastError = err.message;
    });
    return made;
  }

  async function registerCommands(ready: Client<true>): Promise<void> {
    try {
      if (config.guild_ids.length === 0) await ready.rest.put(Routes.applicationCommands(ready.application.id), { body: SLASH_COMMANDS });
      for (const guildId of config.guild_ids) await ready.rest.put(Routes.applicationGuildCommands(ready.application.id, guildId), { body: SLASH_COMMANDS });
    } catch (err) {
      health.lastError = `registering slash commands: ${describeDiscordError(err)}`;
      logger.warn({ err: describeDiscordError(err) }, 'discord: slash commands not registered; messages and buttons still work');
    }
  }

  async function send(message: OutboundDelivery, rendered: RenderedMessage): Promise<string> {
    const key = message.address.threadId ?? message.address.conversationId;
    stopTyping(key);
    if (!message.approval) {
      const viaInteraction = await replies.send(key, rendered);
      if (viaInteraction) return viaInteraction;
    }
    const sent = (await requireClient().rest.post(Routes.channelMessages(key), {
      body: { content: rendered.content, components: rendered.components, allowed_mentions: NO_MENTIONS, nonce: deliveryKey(message, NONCE_LENGTH), enforce_nonce: true },
    })) as { id?: string };
    if (!sent.id) throw new ChannelDeliveryError('transient', 'discord: the message was accepted without an id; retrying.');
    return sent.id;
  }

  return {
    name: 'discord',
    limits: { maxTextLength: DISCORD_TEXT_LIMIT, supportsEdit: true },

    async start(ctx) {
      host = ctx;
      if (client) await destroyWithin(client, STOP_GRACE_MS, logger);
      client = buildClient();
      const ready = new Promise<Client<true>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, 'Discord: the gateway did not become ready in time; check channels.discord.api_url and the network.')), deps.readyTimeoutMs ?? 60_000);
        timer.unref();
        client!.once(Events.ClientReady, (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      try {
        await client.login(deps.token);
        const readyClient = await ready;
        botId = readyClient.user.id;
        health.details = { bot_user: readyClient.user.id, guilds: readyClient.guilds.cache.size, commands: config.guild_ids.length === 0 ? 'global' : `${config.guild_ids.length} guild(s)` };
        await registerCommands(readyClient);
        health.connected = true;
      } catch (err) {
        const failed = client;
        client = undefined;
        health.connected = false;
        await destroyWithin(failed, STOP_GRACE_MS, logger);
        const reason = err instanceof SecureSphereError ? err.message : describeDiscordError(err);
        health.lastError = reason;
        throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, `Discord did not start (${reason}); check channels.discord.token and api_url.`, { cause: err });
      }
    },

    async stop() {
      clearTimeout(catchUpTimer);
      replies.clear();
      for (const channelId of [...typingTimers.keys()]) stopTyping(channelId);
      const running = client;
      client = undefined;
      host = undefined;
      health.connected = false;
      if (running) await destroyWithin(running, STOP_GRACE_MS, logger);
    },

    async deliver(message) {
      const rendered = message.approval ? renderPrompt(message.approval) : renderText(message.text);
      try {
        return { platformMessageId: await send(message, rendered) };
      } catch (err) {
        const failure = toDeliveryError(err, 'sending a message');
        health.lastError = failure.message;
        throw failure;
      }
    },

    async edit(platformMessageId, message) {
      const rendered = message.approval ? renderPrompt(message.approval) : renderText(message.text);
      const channelId = message.address.threadId ?? message.address.conversationId;
      try {
        await requireClient().rest.patch(Routes.channelMessage(channelId, platformMessageId), {
          body: { content: rendered.content, components: rendered.components, allowed_mentions: NO_MENTIONS },
        });
      } catch (err) {
        const failure = toDeliveryError(err, 'editing a message');
        health.lastError = failure.message;
        throw failure;
      }
    },

    health: () => ({ ...health, ...(health.details ? { details: { ...health.details } } : {}) }),
  };
}

/** Discord's longest nonce. */
const NONCE_LENGTH = 25;
const TYPING_AFTER_MS = 1_000;
const CATCH_UP_RETRY_MS = 2_000;
const CATCH_UP_RETRY_MAX_MS = 300_000;
const STOP_GRACE_MS = 3_000;
const DROPPED_EVENT = 'SECURESPHERE_DROPPED_MALFORMED';

/** Why a dispatch the adapter acts on cannot be used, or undefined when it is fine. */
function malformedDispatch(packet: { t?: string; d?: Record<string, unknown> }): string | undefined {
  if (packet.t !== 'MESSAGE_CREATE' && packet.t !== 'INTERACTION_CREATE') return undefined;
  const d = packet.d;
  if (!d || typeof d !== 'object') return `${packet.t} without data`;
  if (typeof d.id !== 'string' || typeof d.channel_id !== 'string') return `${packet.t} without id or channel_id`;
  if (packet.t === 'MESSAGE_CREATE') {
    const author = d.author as { id?: unknown } | undefined;
    if (!author || typeof author.id !== 'string') return 'MESSAGE_CREATE without an author';
    if (typeof d.content !== 'string') return 'MESSAGE_CREATE without content';
  } else {
    const user = (d.user ?? (d.member as { user?: unknown } | undefined)?.user) as { id?: unknown } | undefined;
    if (!user || typeof user.id !== 'string') return 'INTERACTION_CREATE without a user';
  }
  return undefined;
}

/** Destroys a client; one whose socket never says goodbye is left behind after `ms` (stop must not hang). */
async function destroyWithin(client: Client, ms: number, logger: ChannelLogger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
    timer.unref();
  });
  const result = await Promise.race([client.destroy().then(() => 'done' as const, () => 'done' as const), late]);
  clearTimeout(timer);
  if (result === 'late') logger.warn({}, 'discord: the gateway connection did not close in time; left behind');
}
