// What the Discord stand-in knows: the bot, users, guilds, channels (guild text channels and
// DMs), every message with its edits, interactions with their tokens and answers, and the
// registered application commands. Payload builders produce the JSON shapes Discord's API v10
// sends, so discord.js parses them as it would the real thing. Test-only; never product code.

export const DISCORD_EPOCH = 1_420_070_400_000n;
/** An interaction must be answered within 3 s; its token works for 15 minutes. */
export const INTERACTION_ACK_MS = 3_000;
export const INTERACTION_TOKEN_MS = 15 * 60_000;
/** How long Discord remembers a message nonce for `enforce_nonce` ("the past few minutes"). */
export const NONCE_WINDOW_MS = 3 * 60_000;

export interface FakeUser {
  id: string;
  username: string;
  bot?: boolean;
}

export interface FakeChannel {
  id: string;
  /** 0 guild text, 1 DM, 11 public thread. */
  type: 0 | 1 | 11;
  guildId?: string;
  name?: string;
  /** Thread: the channel it lives in and who started it. */
  parentId?: string;
  ownerId?: string;
  /** DM: the user on the other side. */
  recipientId?: string;
}

export interface FakeMessage {
  id: string;
  channelId: string;
  guildId?: string;
  authorId: string;
  content: string;
  components: unknown[];
  flags: number;
  timestamp: string;
  editedTimestamp: string | null;
  mentions: string[];
  /** Every content this message had, first one first. */
  history: string[];
  /** Set when the message is an interaction response or follow-up. */
  interactionId?: string;
  referencedMessageId?: string;
  /** The sender's `nonce`, echoed in the message object as Discord does. */
  nonce?: string | number;
}

export interface FakeInteraction {
  id: string;
  token: string;
  type: 2 | 3;
  userId: string;
  channelId: string;
  guildId?: string;
  createdAt: number;
  /** Callback types received, in order (4 reply, 5 deferred reply, 6 deferred update, 7 update). */
  callbacks: Array<{ type: number; at: number; data?: Record<string, unknown> }>;
  /** The response message (type 4/5), once created. */
  originalId?: string;
  followUpIds: string[];
  /** Ephemeral answers' contents. */
  ephemeral: string[];
  /** Button: the message it was pressed on. */
  messageId?: string;
  /** Button: the custom_id of the pressed button. */
  customId?: string;
  command?: { name: string; options: Record<string, string> };
}

export interface RegisteredCommand {
  id: string;
  name: string;
  description: string;
  options: unknown[];
  guildId?: string;
}

export function createSnowflakes(): () => string {
  let counter = 0n;
  let last = 0n;
  return () => {
    const ms = BigInt(Date.now()) - DISCORD_EPOCH;
    if (ms !== last) {
      last = ms;
      counter = 0n;
    }
    counter += 1n;
    return ((ms << 22n) | (1n << 17n) | (counter & 0xfffn)).toString();
  };
}

/** Compares two snowflakes numerically. */
export function snowflakeCompare(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export class DiscordState {
  readonly nextId = createSnowflakes();
  readonly users = new Map<string, FakeUser>();
  readonly guilds = new Map<string, { id: string; name: string }>();
  readonly channels = new Map<string, FakeChannel>();
  readonly messages = new Map<string, FakeMessage>();
  readonly interactions = new Map<string, FakeInteraction>();
  readonly commands: RegisteredCommand[] = [];
  readonly typing: Array<{ channelId: string; at: number }> = [];
  readonly bot: FakeUser;
  readonly applicationId: string;
  /** Added to Date.now() for interaction deadlines (tests move time on without waiting). */
  clockSkewMs = 0;
  /** Where each (author, nonce) was last used to create a message, for `enforce_nonce`. */
  private readonly nonces = new Map<string, { messageId: string; at: number }>();

  constructor() {
    this.bot = { id: this.nextId(), username: 'securesphere-bot', bot: true };
    this.applicationId = this.bot.id;
    this.users.set(this.bot.id, this.bot);
  }

  now(): number {
    return Date.now() + this.clockSkewMs;
  }

  user(id: string): FakeUser {
    let user = this.users.get(id);
    if (!user) {
      user = { id, username: `user${id.slice(-4)}` };
      this.users.set(id, user);
    }
    return user;
  }

  addGuild(name: string): { guildId: string; channelId: string } {
    const guildId = this.nextId();
    this.guilds.set(guildId, { id: guildId, name });
    const channelId = this.addGuildChannel(guildId, 'general');
    return { guildId, channelId };
  }

  addGuildChannel(guildId: string, name: string): string {
    const id = this.nextId();
    this.channels.set(id, { id, type: 0, guildId, name });
    return id;
  }

  /** The DM channel between the bot and this user (made on first use, as POST /users/@me/channels does). */
  dmWith(userId: string): FakeChannel {
    for (const channel of this.channels.values()) if (channel.type === 1 && channel.recipientId === userId) return channel;
    const channel: FakeChannel = { id: this.nextId(), type: 1, recipientId: userId };
    this.user(userId);
    this.channels.set(channel.id, channel);
    return channel;
  }

  createMessage(input: { channelId: string; authorId: string; content: string; components?: unknown[]; flags?: number; mentions?: string[]; interactionId?: string; referencedMessageId?: string; nonce?: string | number }): FakeMessage {
    const channel = this.channels.get(input.channelId);
    const message: FakeMessage = {
      id: this.nextId(),
      channelId: input.channelId,
      ...(channel?.guildId ? { guildId: channel.guildId } : {}),
      authorId: input.authorId,
      content: input.content,
      components: input.components ?? [],
      flags: input.flags ?? 0,
      timestamp: new Date().toISOString(),
      editedTimestamp: null,
      mentions: input.mentions ?? [],
      history: [input.content],
      ...(input.interactionId ? { interactionId: input.interactionId } : {}),
      ...(input.referencedMessageId ? { referencedMessageId: input.referencedMessageId } : {}),
      ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
    };
    this.messages.set(message.id, message);
    if (input.nonce !== undefined) this.nonces.set(`${input.authorId}\u0000${input.nonce}`, { messageId: message.id, at: this.now() });
    return message;
  }

  /**
   * The message this author created with this nonce within the enforce_nonce window (Discord:
   * "the past few minutes"), if it still exists: a create with `enforce_nonce` returns it instead
   * of creating a second one.
   */
  messageByNonce(authorId: string, nonce: string | number): FakeMessage | undefined {
    const seen = this.nonces.get(`${authorId}\u0000${nonce}`);
    if (!seen || this.now() - seen.at > NONCE_WINDOW_MS) return undefined;
    return this.messages.get(seen.messageId);
  }

  editMessage(message: FakeMessage, patch: { content?: string; components?: unknown[]; flags?: number }): FakeMessage {
    if (patch.content !== undefined) {
      message.content = patch.content;
      message.history.push(patch.content);
    }
    if (patch.components !== undefined) message.components = patch.components;
    if (patch.flags !== undefined) message.flags = patch.flags;
    message.editedTimestamp = new Date().toISOString();
    return message;
  }

  messagesIn(channelId: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.channelId === channelId).sort((a, b) => snowflakeCompare(a.id, b.id));
  }

  // ------------------------------------------------------------ payloads as Discord sends them

  userPayload(id: string): Record<string, unknown> {
    const user = this.user(id);
    return { id: user.id, username: user.username, discriminator: '0', global_name: user.username, avatar: null, ...(user.bot ? { bot: true } : {}) };
  }

  memberPayload(id: string): Record<string, unknown> {
    return { user: this.userPayload(id), roles: [], joined_at: new Date(0).toISOString(), deaf: false, mute: false, flags: 0, permissions: '2248473465835073' };
  }

  channelPayload(channel: FakeChannel): Record<string, unknown> {
    if (channel.type === 1) return { id: channel.id, type: 1, last_message_id: null, recipients: [this.userPayload(channel.recipientId!)] };
    if (channel.type === 11) {
      return {
        id: channel.id,
        type: 11,
        guild_id: channel.guildId,
        parent_id: channel.parentId,
        owner_id: channel.ownerId,
        name: channel.name,
        flags: 0,
        member_count: 1,
        message_count: 0,
        total_message_sent: 0,
        rate_limit_per_user: 0,
        thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
      };
    }
    return { id: channel.id, type: 0, guild_id: channel.guildId, name: channel.name, position: 0, permission_overwrites: [], nsfw: false, parent_id: null };
  }

  /** A public thread started from a message: Discord gives it the message's id. */
  startThread(message: FakeMessage, ownerId: string, name: string): FakeChannel | undefined {
    if (this.channels.has(message.id)) return undefined;
    const thread: FakeChannel = { id: message.id, type: 11, guildId: message.guildId!, parentId: message.channelId, ownerId, name };
    this.channels.set(thread.id, thread);
    return thread;
  }

  messagePayload(message: FakeMessage): Record<string, unknown> {
    const referenced = message.referencedMessageId ? this.messages.get(message.referencedMessageId) : undefined;
    return {
      id: message.id,
      type: referenced ? 19 : 0,
      channel_id: message.channelId,
      channel_type: this.channels.get(message.channelId)?.type ?? 0,
      ...(message.guildId ? { guild_id: message.guildId } : {}),
      author: this.userPayload(message.authorId),
      ...(message.guildId && !this.users.get(message.authorId)?.bot ? { member: { roles: [], joined_at: new Date(0).toISOString(), deaf: false, mute: false, flags: 0 } } : {}),
      content: message.content,
      timestamp: message.timestamp,
      edited_timestamp: message.editedTimestamp,
      tts: false,
      mention_everyone: false,
      mentions: message.mentions.map((id) => this.userPayload(id)),
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      flags: message.flags,
      components: message.components,
      ...(message.nonce !== undefined ? { nonce: message.nonce } : {}),
      ...(message.interactionId && this.interactions.get(message.interactionId) ? { webhook_id: this.applicationId, application_id: this.applicationId } : {}),
      ...(referenced ? { message_reference: { type: 0, message_id: referenced.id, channel_id: referenced.channelId, ...(referenced.guildId ? { guild_id: referenced.guildId } : {}) }, referenced_message: this.messagePayload(referenced) } : {}),
    };
  }

  guildCreatePayload(guildId: string): Record<string, unknown> {
    const guild = this.guilds.get(guildId)!;
    const threads = [...this.channels.values()].filter((c) => c.guildId === guildId && c.type === 11).map((c) => this.channelPayload(c));
    const channels = [...this.channels.values()].filter((c) => c.guildId === guildId && c.type !== 11).map((c) => {
      const { guild_id: _omit, ...rest } = this.channelPayload(c);
      return rest;
    });
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      owner_id: this.nextId(),
      unavailable: false,
      large: false,
      member_count: 2,
      joined_at: new Date(0).toISOString(),
      features: [],
      roles: [{ id: guild.id, name: '@everyone', permissions: '2248473465835073', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }],
      emojis: [],
      stickers: [],
      channels,
      threads,
      members: [this.memberPayload(this.bot.id)],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      preferred_locale: 'en-US',
      premium_tier: 0,
      nsfw_level: 0,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      system_channel_flags: 0,
      afk_timeout: 300,
    };
  }

  interactionPayload(interaction: FakeInteraction): Record<string, unknown> {
    const channel = this.channels.get(interaction.channelId)!;
    const who = interaction.guildId ? { member: this.memberPayload(interaction.userId) } : { user: this.userPayload(interaction.userId) };
    const base = {
      id: interaction.id,
      application_id: this.applicationId,
      type: interaction.type,
      token: interaction.token,
      version: 1,
      channel_id: interaction.channelId,
      channel: this.channelPayload(channel),
      ...(interaction.guildId ? { guild_id: interaction.guildId, guild_locale: 'en-US' } : {}),
      ...who,
      app_permissions: '2248473465835073',
      locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': interaction.guildId ?? interaction.userId },
      context: interaction.guildId ? 0 : 1,
      attachment_size_limit: 10_485_760,
    };
    if (interaction.type === 2) {
      const command = interaction.command!;
      const registered = this.commands.find((c) => c.name === command.name);
      return {
        ...base,
        data: {
          id: registered?.id ?? this.nextId(),
          name: command.name,
          type: 1,
          options: Object.entries(command.options).map(([name, value]) => ({ name, type: 3, value })),
          ...(interaction.guildId ? { guild_id: interaction.guildId } : {}),
        },
      };
    }
    const message = this.messages.get(interaction.messageId!)!;
    return { ...base, message: this.messagePayload(message), data: { custom_id: interaction.customId, component_type: 2 } };
  }
}
