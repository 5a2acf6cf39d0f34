// The workspace a Slack stand-in pretends to be: its team, the bot, users, channels, and every
// message the bot posted (with its metadata), updated or posted ephemerally, read back through
// conversations.history / .replies, with Web API method handlers that answer like Slack does
// (HTTP 200 with `{ok:false, error}` for API errors, `ts` strings that grow). Pure state, no
// sockets: test/fakes/slack-web-api.ts serves it over HTTP.
// Must never accept a call with a wrong token: Slack answers `invalid_auth` and so does this.

export interface FakeSlackUser {
  id: string;
  teamId: string;
  name: string;
  isBot?: boolean;
}

export interface FakeSlackChannel {
  id: string;
  name: string;
  /** A direct-message channel (ids starting with D). */
  isIm: boolean;
  isPrivate?: boolean;
  /** Whether the bot is in it (default true); chat.postMessage answers not_in_channel otherwise. */
  isMember?: boolean;
}

export interface BotMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks?: unknown[];
  /** Every chat.update applied to it, oldest first (the message holds the newest). */
  updates: Array<{ text: string; blocks?: unknown[] }>;
  /** The version first posted. */
  posted: { text: string; blocks?: unknown[] };
  /** chat.postMessage's `metadata` ({event_type, event_payload}), returned by history reads that ask for it. */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  text: string;
  threadTs?: string;
  blocks?: unknown[];
}

export class SlackApiError extends Error {
  constructor(readonly error: string) {
    super(error);
  }
}

export interface SlackWorkspaceOptions {
  teamId?: string;
  teamName?: string;
  botToken?: string;
  appToken?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
}

export type Params = Record<string, unknown>;

function str(params: Params, key: string): string | undefined {
  const v = params[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function blocksOf(params: Params): unknown[] | undefined {
  const raw = params.blocks;
  if (raw === undefined) return undefined;
  const parsed = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  if (!Array.isArray(parsed)) throw new SlackApiError('invalid_blocks');
  return parsed;
}

function metadataOf(params: Params): BotMessage['metadata'] {
  const raw = params.metadata;
  if (raw === undefined) return undefined;
  const parsed = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { event_type?: unknown; event_payload?: unknown };
  if (typeof parsed?.event_type !== 'string' || typeof parsed.event_payload !== 'object' || parsed.event_payload === null) throw new SlackApiError('invalid_metadata_format');
  return { event_type: parsed.event_type, event_payload: parsed.event_payload as Record<string, unknown> };
}

/** A history read's `limit` (Slack: default 100, at most 1000) and time window (`oldest`, `latest`, exclusive). */
function windowOf(params: Params): { limit: number; after: number; before: number } {
  const n = (key: string, fallback: number) => (params[key] === undefined || params[key] === '' ? fallback : Number(params[key]));
  return { limit: Math.min(1000, Math.max(1, n('limit', 100))), after: n('oldest', 0), before: n('latest', Number.POSITIVE_INFINITY) };
}

export function createSlackWorkspace(options: SlackWorkspaceOptions = {}) {
  const team = { id: options.teamId ?? 'T0FAKETEAM', name: options.teamName ?? 'Fake Workspace' };
  const bot = {
    token: options.botToken ?? 'xoxb-fake-bot-token',
    appToken: options.appToken ?? 'xapp-1-fake-app-token',
    userId: options.botUserId ?? 'U0FAKEBOT',
    botId: options.botId ?? 'B0FAKEBOT',
    appId: options.appId ?? 'A0FAKEAPP',
  };
  const users = new Map<string, FakeSlackUser>([[bot.userId, { id: bot.userId, teamId: team.id, name: 'securesphere', isBot: true }]]);
  const channels = new Map<string, FakeSlackChannel>();
  const messages: BotMessage[] = [];
  const ephemerals: EphemeralMessage[] = [];
  const postListeners: Array<(message: BotMessage) => void> = [];
  let lastTs = 0;

  /** Slack's message ids: "seconds.micros", unique and increasing within the workspace. */
  function nextTs(): string {
    const now = Math.floor(Date.now() * 1000);
    lastTs = Math.max(now, lastTs + 1);
    return `${Math.floor(lastTs / 1e6)}.${String(lastTs % 1e6).padStart(6, '0')}`;
  }

  function messagePayload(m: BotMessage, withMetadata: unknown): Record<string, unknown> {
    return {
      type: 'message',
      user: bot.userId,
      bot_id: bot.botId,
      text: m.text,
      ts: m.ts,
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      ...(m.blocks ? { blocks: m.blocks } : {}),
      ...(m.metadata && (withMetadata === true || withMetadata === 'true') ? { metadata: m.metadata } : {}),
    };
  }

  function channelOf(params: Params): FakeSlackChannel {
    const id = str(params, 'channel');
    if (!id) throw new SlackApiError('channel_not_found');
    const channel = channels.get(id);
    if (!channel) throw new SlackApiError('channel_not_found');
    return channel;
  }

  function textOf(params: Params, blocks: unknown[] | undefined): string {
    const text = typeof params.text === 'string' ? params.text : '';
    if (text === '' && !blocks) throw new SlackApiError('no_text');
    if (text.length > 40_000) throw new SlackApiError('msg_too_long');
    return text;
  }

  const methods: Record<string, (params: Params) => Record<string, unknown>> = {
    'auth.test': () => ({ url: `https://fake-${team.id.toLowerCase()}.slack.com/`, team: team.name, user: 'securesphere', team_id: team.id, user_id: bot.userId, bot_id: bot.botId, is_enterprise_install: false }),
    'chat.postMessage': (params) => {
      const channel = channelOf(params);
      if (channel.isMember === false) throw new SlackApiError('not_in_channel');
      const blocks = blocksOf(params);
      const text = textOf(params, blocks);
      const threadTs = str(params, 'thread_ts');
      const metadata = metadataOf(params);
      const message: BotMessage = { channel: channel.id, ts: nextTs(), text, updates: [], posted: { text, ...(blocks ? { blocks } : {}) }, ...(threadTs ? { threadTs } : {}), ...(blocks ? { blocks } : {}), ...(metadata ? { metadata } : {}) };
      messages.push(message);
      for (const listener of postListeners) listener(message);
      return { channel: channel.id, ts: message.ts, message: { type: 'message', user: bot.userId, bot_id: bot.botId, text, ts: message.ts, ...(threadTs ? { thread_ts: threadTs } : {}), ...(blocks ? { blocks } : {}) } };
    },
    'chat.update': (params) => {
      const channel = channelOf(params);
      const ts = str(params, 'ts');
      const message = messages.find((m) => m.channel === channel.id && m.ts === ts);
      if (!message) throw new SlackApiError('message_not_found');
      const blocks = blocksOf(params);
      const text = textOf(params, blocks);
      message.updates.push({ text, ...(blocks ? { blocks } : {}) });
      message.text = text;
      if (blocks) message.blocks = blocks;
      else delete message.blocks;
      return { channel: channel.id, ts: message.ts, text };
    },
    'chat.postEphemeral': (params) => {
      const channel = channelOf(params);
      const user = str(params, 'user');
      if (!user || !users.has(user)) throw new SlackApiError('user_not_found');
      const blocks = blocksOf(params);
      const text = textOf(params, blocks);
      const threadTs = str(params, 'thread_ts');
      ephemerals.push({ channel: channel.id, user, text, ...(threadTs ? { threadTs } : {}), ...(blocks ? { blocks } : {}) });
      return { message_ts: nextTs() };
    },
    'users.info': (params) => {
      const user = users.get(str(params, 'user') ?? '');
      if (!user) throw new SlackApiError('user_not_found');
      return { user: { id: user.id, team_id: user.teamId, name: user.name, real_name: user.name, is_bot: user.isBot ?? false, profile: { display_name: user.name, real_name: user.name } } };
    },
    // History reads return the bot's own messages (the only ones this stand-in keeps), newest
    // first; `metadata` only with include_all_metadata, as Slack does. conversations.history
    // leaves thread replies out; conversations.replies returns a thread, its parent first.
    'conversations.history': (params) => {
      const channel = channelOf(params);
      const { limit, after, before } = windowOf(params);
      const found = messages.filter((m) => m.channel === channel.id && !m.threadTs && Number(m.ts) > after && Number(m.ts) < before);
      return { messages: found.reverse().slice(0, limit).map((m) => messagePayload(m, params.include_all_metadata)), has_more: found.length > limit };
    },
    'conversations.replies': (params) => {
      const channel = channelOf(params);
      const ts = str(params, 'ts');
      if (!ts) throw new SlackApiError('thread_not_found');
      const { limit, after, before } = windowOf(params);
      const thread = messages.filter((m) => m.channel === channel.id && (m.ts === ts || m.threadTs === ts) && Number(m.ts) > after && Number(m.ts) < before);
      return { messages: thread.slice(0, limit).map((m) => messagePayload(m, params.include_all_metadata)), has_more: thread.length > limit };
    },
    'conversations.info': (params) => {
      const channel = channelOf(params);
      return { channel: { id: channel.id, name: channel.name, is_im: channel.isIm, is_channel: !channel.isIm && !channel.isPrivate, is_group: channel.isPrivate ?? false, is_private: channel.isPrivate ?? channel.isIm, is_member: channel.isMember ?? true } };
    },
  };

  return {
    team,
    bot,
    users,
    channels,
    /** Every message the bot posted, in order (updated in place by chat.update). */
    messages,
    ephemerals,
    nextTs,
    /** Calls `listener` with every message the bot posts (benchmarks wait on it instead of polling). */
    onPosted(listener: (message: BotMessage) => void): void {
      postListeners.push(listener);
    },
    addUser(user: Omit<FakeSlackUser, 'teamId'> & { teamId?: string }): FakeSlackUser {
      const full = { ...user, teamId: user.teamId ?? team.id };
      users.set(full.id, full);
      return full;
    },
    addChannel(channel: FakeSlackChannel): FakeSlackChannel {
      channels.set(channel.id, channel);
      return channel;
    },
    /** Answers one Web API method with the bot token's rights; throws SlackApiError like Slack's `{ok:false}`. */
    call(method: string, token: string | undefined, params: Params): Record<string, unknown> {
      if (!token) throw new SlackApiError('not_authed');
      if (token !== bot.token) throw new SlackApiError('invalid_auth');
      const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
      if (!handler) throw new SlackApiError('unknown_method');
      return handler(params);
    },
  };
}

export type SlackWorkspace = ReturnType<typeof createSlackWorkspace>;
