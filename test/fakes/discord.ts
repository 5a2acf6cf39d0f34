// A Discord stand-in on 127.0.0.1 (port 0) for discord.js: REST under /api/v10 and the gateway
// on the same port (ws). Point discord.js at it with `rest: { api: fake.apiUrl }`; the gateway
// URL comes from GET /gateway/bot as on Discord. The test API acts as Discord users (messages
// in DMs and guild channels, mentions, replies, slash commands, button presses), reads what the
// bot sent, edited and answered, and breaks things: hard connection drop, RECONNECT,
// INVALID_SESSION, replay overlap on resume, 429s, 5xx, REST down/up. Test-only.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createFakeGateway, type FakeGateway } from './discord-gateway.js';
import { createRestHandler, type RestFaults, type RestRequestRecord } from './discord-rest.js';
import { DiscordState, type FakeInteraction, type FakeMessage } from './discord-state.js';

export { INTERACTION_ACK_MS, INTERACTION_TOKEN_MS, type FakeInteraction, type FakeMessage } from './discord-state.js';

export interface FakeDiscord {
  /** discord.js `rest.api` (…/api); REST paths are /api/v10/… */
  apiUrl: string;
  gatewayUrl: string;
  token: string;
  botId: string;
  applicationId: string;
  state: DiscordState;
  gateway: FakeGateway;
  requests: RestRequestRecord[];
  /** A guild with one text channel, sent to the bot in READY/GUILD_CREATE from the next IDENTIFY on. */
  addGuild(name?: string): { guildId: string; channelId: string };
  /** A new text channel in a guild, announced with CHANNEL_CREATE. */
  addChannel(guildId: string, name: string): string;
  /** The DM channel id between the bot and this user. */
  dmChannel(userId: string): string;
  /** A user writes in a channel; `mentionBot` puts <@bot> in front and in mentions; `replyTo` makes it a reply. */
  sendMessage(input: { user: string; channelId: string; content: string; mentionBot?: boolean; replyTo?: string }): FakeMessage;
  /** Dispatches the MESSAGE_CREATE of an existing message again (a redelivery). */
  redeliver(message: FakeMessage): void;
  /** A user runs a slash command (type 2). */
  runCommand(input: { user: string; channelId: string; name: string; options?: Record<string, string> }): FakeInteraction;
  /** A user presses a button (type 3) on a bot message. */
  pressButton(input: { user: string; messageId: string; customId: string }): FakeInteraction;
  /** Dispatches any event (malformed ones too). */
  dispatchRaw(t: string, d: unknown): void;
  /** Messages the bot posted in a channel (interaction responses included, ephemeral excluded), oldest first. */
  botMessages(channelId: string): FakeMessage[];
  onBotMessage(listener: (message: FakeMessage, kind: 'created' | 'edited') => void): () => void;
  rateLimitNext(input: { count?: number; retryAfterS: number; match?: RegExp; global?: boolean }): void;
  failNext(input: { count?: number; status?: number; match?: RegExp }): void;
  /** Every REST call answers 503 until up(). */
  down(): void;
  up(): void;
  /** Moves the stand-in's clock for interaction deadlines (3 s ack, 15 min token). */
  advanceClock(ms: number): void;
  close(): Promise<void>;
}

export async function startFakeDiscord(options: { token?: string; heartbeatIntervalMs?: number } = {}): Promise<FakeDiscord> {
  const token = options.token ?? 'fake-discord-bot-token.4e9d2b';
  const state = new DiscordState();
  const requests: RestRequestRecord[] = [];
  const faults: RestFaults = { rateLimits: [], failures: [], down: false };
  const listeners = new Set<(message: FakeMessage, kind: 'created' | 'edited') => void>();
  let base = '';
  const gateway = createFakeGateway({ state, token, url: () => `ws://${base}/gateway`, heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250 });
  const handler = createRestHandler({
    state,
    token,
    gatewayUrl: () => `ws://${base}/gateway`,
    dispatch: (t, d) => gateway.dispatch(t, d),
    faults,
    requests,
    onBotMessage: (message, kind) => {
      for (const listener of listeners) listener(message, kind);
    },
  });
  const server: Server = createServer(handler);
  // Every socket, upgraded ones included (the http server forgets those), so close() never waits.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, socket, head) => {
    if (!(req.url ?? '').startsWith('/gateway')) {
      socket.destroy();
      return;
    }
    gateway.wss.handleUpgrade(req, socket, head, (ws) => gateway.wss.emit('connection', ws, req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  function interaction(input: Omit<FakeInteraction, 'id' | 'token' | 'createdAt' | 'callbacks' | 'followUpIds' | 'ephemeral'>): FakeInteraction {
    const made: FakeInteraction = { ...input, id: state.nextId(), token: `itoken-${state.nextId()}-${Math.random().toString(36).slice(2)}`, createdAt: state.now(), callbacks: [], followUpIds: [], ephemeral: [] };
    state.interactions.set(made.id, made);
    gateway.dispatch('INTERACTION_CREATE', state.interactionPayload(made));
    return made;
  }

  return {
    apiUrl: `http://${base}/api`,
    gatewayUrl: `ws://${base}/gateway`,
    token,
    botId: state.bot.id,
    applicationId: state.applicationId,
    state,
    gateway,
    requests,
    addGuild: (name = 'guild') => state.addGuild(name),
    addChannel(guildId, name) {
      const id = state.addGuildChannel(guildId, name);
      gateway.dispatch('CHANNEL_CREATE', state.channelPayload(state.channels.get(id)!));
      return id;
    },
    dmChannel: (userId) => state.dmWith(userId).id,
    sendMessage({ user, channelId, content, mentionBot, replyTo }) {
      state.user(user);
      const message = state.createMessage({
        channelId,
        authorId: user,
        content: mentionBot ? `<@${state.bot.id}> ${content}` : content,
        mentions: mentionBot ? [state.bot.id] : [],
        ...(replyTo ? { referencedMessageId: replyTo } : {}),
      });
      gateway.dispatch('MESSAGE_CREATE', state.messagePayload(message));
      return message;
    },
    redeliver(message) {
      gateway.dispatch('MESSAGE_CREATE', state.messagePayload(message));
    },
    runCommand({ user, channelId, name, options: commandOptions }) {
      state.user(user);
      const channel = state.channels.get(channelId);
      return interaction({ type: 2, userId: user, channelId, ...(channel?.guildId ? { guildId: channel.guildId } : {}), command: { name, options: commandOptions ?? {} } });
    },
    pressButton({ user, messageId, customId }) {
      state.user(user);
      const message = state.messages.get(messageId);
      if (!message) throw new Error(`no message ${messageId}`);
      return interaction({ type: 3, userId: user, channelId: message.channelId, ...(message.guildId ? { guildId: message.guildId } : {}), messageId, customId });
    },
    dispatchRaw: (t, d) => gateway.dispatch(t, d),
    botMessages: (channelId) => state.messagesIn(channelId).filter((m) => m.authorId === state.bot.id && !(m.flags & 64)),
    onBotMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    rateLimitNext: ({ count = 1, retryAfterS, match, global }) => faults.rateLimits.push({ remaining: count, retryAfterS, ...(match ? { match } : {}), ...(global ? { global } : {}) }),
    failNext: ({ count = 1, status = 500, match }) => faults.failures.push({ remaining: count, status, ...(match ? { match } : {}) }),
    down: () => {
      faults.down = true;
    },
    up: () => {
      faults.down = false;
    },
    advanceClock: (ms) => {
      state.clockSkewMs += ms;
    },
    async close() {
      await gateway.close();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls until fn returns something defined. */
export async function waitFor<T>(fn: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
