// The channel contract: what every chat-platform adapter (web, Telegram, Slack, Discord,
// Matrix, ...) implements, and what the gateway's channel host gives each one. An adapter turns
// platform events into InboundMessage and hands them to ctx.receive(); it renders outbound
// messages and approval prompts natively and returns the platform's message id.
//
// It must never: carry platform SDK types across this file (they stay in channels/<name>/);
// decide who a user is from message text (the decider is always the platform's sender field);
// wait for the model before acknowledging the platform (receive() resolves once the message is
// stored and queued); send anything on its own that the host should have sent through the
// durable outbox (replies, prompts, pairing codes, refusals all come through deliver()/edit()).
import type { FastifyInstance } from 'fastify';
import type { ZodType } from 'zod';
import { ERROR_CODES, SecureSphereError } from '../src/core/errors.js';
import type { ApprovalPrompt, ApprovalScope } from '../src/core/types.js';
import type { ReplyStreamHub } from '../src/core/reply-stream.js';

// ---------------------------------------------------------------- identities and addresses

/** An actor everywhere in the gateway: `<channel>:<platform user id>` (`telegram:123456`, `web:operator`, `api:alice`). */
export type Identity = string;

/** Builds `<channel>:<id>`. The channel name never contains ':'; the id may. */
export function toIdentity(channel: string, platformUserId: string): Identity {
  return `${channel}:${platformUserId}`;
}

/** Splits `<channel>:<id>`; undefined when the string has no channel part. */
export function parseIdentity(identity: string): { channel: string; id: string } | undefined {
  const at = identity.indexOf(':');
  if (at <= 0 || at === identity.length - 1) return undefined;
  return { channel: identity.slice(0, at), id: identity.slice(at + 1) };
}

/** Where a message lives on its platform: the chat / DM / room / channel, and the thread in it. */
export interface ConversationAddress {
  /** The platform's conversation id, unique within this channel only. */
  conversationId: string;
  /** The platform's thread id, where the platform has threads (Slack thread_ts, Telegram topic). */
  threadId?: string;
}

// ---------------------------------------------------------------- inbound

/** A user's message as the adapter saw it. The host adds the channel name itself. */
export interface InboundMessage extends ConversationAddress {
  /** 'direct' for a one-to-one chat with the bot, 'group' for anything with more people. */
  chatType: 'direct' | 'group';
  /** The platform's own user id of the sender (raw, not `<channel>:<id>`): the host makes the identity. */
  senderId: string;
  senderName: string;
  text: string;
  /** When the platform says it was sent. */
  time: Date;
  /**
   * The platform's message id, unique within the conversation. Required: it is how a
   * redelivered event (webhook retry, reconnect, restart) is recognised and processed once.
   */
  platformMessageId: string;
  /** In a group: the bot was mentioned, or the message replies to one of the bot's messages. */
  addressedToBot?: boolean;
  /**
   * The user's own client re-sent this message because it saw no answer (the web page): a
   * duplicate then gets the stored reply again (or its turn, if the gateway died first). A
   * platform's redelivery never sets this: the platform missed the acknowledgement, not the user
   * the answer, and a second reply would be a duplicate.
   */
  repeatReplyIfDuplicate?: boolean;
}

export type RefusalReason =
  /** access: allowlist and the sender is not on it. */
  | 'not_allowed'
  /** access: pairing and the sender is not paired yet; the host has sent them a one-time code. */
  | 'pairing_required'
  /** A group message that neither mentions nor replies to the bot, in a chat not listed in config. */
  | 'not_addressed'
  /** Too many messages; the host has told the sender (once per limited stretch). */
  | 'rate_limited'
  /** The message itself is unusable (empty, too long, bad ids); logged by the host. */
  | 'invalid';

/**
 * What receive() answers, as soon as the message is durably admitted or refused. Never waits for
 * the model. A refusal that the user must hear about (pairing code, rate limit) has already been
 * queued in the outbox by the host: the adapter only acknowledges the platform event.
 */
export type ReceiveResult =
  | { status: 'admitted'; conversationKey: string }
  | { status: 'duplicate'; conversationKey: string }
  | { status: 'refused'; reason: RefusalReason; message: string };

// ---------------------------------------------------------------- approvals

export interface DecisionInput extends Partial<ConversationAddress> {
  /** The opaque approval id the prompt (button callback data, /approve ID) carried. */
  approvalId: string;
  decision: 'approve' | 'deny' | 'allow_conversation';
  /** The platform user id of whoever pressed (raw): the platform's sender field, never text. */
  userId: string;
}

/** The outcome of a press, so the adapter can answer it (Telegram answerCallbackQuery, Slack ephemeral). */
export type DecisionOutcome =
  | { status: 'approved'; approvalId: string; scope: ApprovalScope; message: string }
  | { status: 'denied'; approvalId: string; message: string }
  | { status: 'refused'; approvalId: string; reason: 'not_an_approver' | 'already_decided' | 'not_found' | 'invalid'; message: string };

// ---------------------------------------------------------------- outbound

/**
 * One outbound message, taken from the durable outbox. Text is plain (already redacted and
 * already split to at most limits.maxTextLength characters); the adapter escapes it for its
 * platform's formatting.
 */
export interface OutboundDelivery {
  /** The outbox entry id: the same on every retry of this message. */
  deliveryId: string;
  address: ConversationAddress;
  text: string;
  /** Set when this message is (or updates) an approval prompt: render native buttons. */
  approval?: ApprovalPrompt;
  /**
   * Set when an earlier attempt of this entry may have reached the platform without the outbox
   * knowing: it was queued before this process started (a crash can fall between the platform's
   * answer and the row being marked delivered), or its last attempt here failed without a clear
   * answer (a timeout, a 5xx). An adapter that can find its own earlier message looks for it
   * before sending again (Slack: by the message's metadata).
   */
  uncertain?: boolean;
  /** When the entry was queued (ms since the epoch): where such a look can start. */
  queuedAt?: number;
}

/** What the platform allows; the host splits and schedules by it. */
export interface ChannelLimits {
  /** Longest text one message may carry (Telegram 4096, Slack ~40000, Discord 2000). */
  maxTextLength: number;
  /** Whether edit() works; when false a prompt update is sent as a new message. */
  supportsEdit: boolean;
}

export type DeliveryFailure = 'rate_limited' | 'transient' | 'permanent';

/**
 * What deliver()/edit() throw. `rate_limited` with the platform's own wait (Telegram
 * retry_after, Slack Retry-After, Discord bucket reset); `transient` for network errors and 5xx
 * (retried with back-off); `permanent` for what will never succeed (bot blocked, chat gone: the
 * entry is given up and logged). Any other thrown value is treated as transient.
 */
export class ChannelDeliveryError extends SecureSphereError {
  readonly failure: DeliveryFailure;
  readonly retryAfterMs?: number;

  constructor(failure: DeliveryFailure, message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    const code = failure === 'rate_limited' ? ERROR_CODES.CHANNEL_RATE_LIMITED : failure === 'permanent' ? ERROR_CODES.CHANNEL_DELIVERY_REJECTED : ERROR_CODES.CHANNEL_DELIVERY_FAILED;
    super(code, message, { cause: options.cause, details: { failure, ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}) } });
    this.name = 'ChannelDeliveryError';
    this.failure = failure;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** The adapter's own view of its link to the platform; the host adds start state and outbox backlog. */
export interface AdapterHealth {
  connected: boolean;
  lastError?: string;
  /** Small, secret-free facts worth showing (mode: polling, bot username, ...). */
  details?: Record<string, string | number | boolean>;
}

/** What /api/health and `doctor` show per channel. */
export interface ChannelHealth extends AdapterHealth {
  name: string;
  state: 'starting' | 'running' | 'failed' | 'stopped';
  /** Outbox entries not yet delivered. */
  outboxBacklog: number;
  /** When state is failed: when the next start attempt is due. */
  nextRetryAt?: string;
}

// ---------------------------------------------------------------- the two sides

/** The subset of a pino logger adapters use (structured object first, then the message). */
export interface ChannelLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** A conversation with recent traffic and the last platform message the gateway stored in it. */
export interface RecentConversation extends ConversationAddress {
  lastPlatformMessageId: string;
}

/** What the channel host gives one adapter in start(). Bound to that adapter's channel name. */
export interface ChannelContext {
  readonly channel: string;
  /** Admits (stores + queues) or refuses a user message; resolves without waiting for the model. */
  receive(message: InboundMessage): Promise<ReceiveResult>;
  /** A button press or `/approve ID`: decides, and says how, so the adapter can answer the press. */
  decide(input: DecisionInput): Promise<DecisionOutcome>;
  /** Starts a fresh conversation at this address (`/new`): later messages get new history, grants and agent. */
  resetConversation(address: ConversationAddress, senderId: string): Promise<void>;
  /** A short, plain-text status of the conversation at this address (`/status`). */
  statusText(address: ConversationAddress, senderId: string): Promise<string>;
  /**
   * Queues a plain message to this address through the durable outbox (a command's answer such
   * as `/help`): it is stored first, sent in order with the conversation's replies, and retried.
   */
  notify(address: ConversationAddress, text: string): void;
  /** `<channel>:<platform user id>` for this channel. */
  identity(platformUserId: string): Identity;
  /**
   * Conversations of this channel that admitted a message at or after `sinceMs`, each with the
   * platform id of the last message stored for it: what an adapter whose platform keeps history
   * (Discord, Slack) fetches after on start-up, to answer messages sent while the gateway was down.
   */
  recentConversations?(sinceMs: number): Promise<RecentConversation[]>;
  /** Logs a malformed or unusable platform event (one line, no secrets) and drops it. */
  dropMalformed(reason: string, details?: Record<string, unknown>): void;
  logger: ChannelLogger;
}

/** One chat platform. Built by its ChannelDefinition from its own config section. */
export interface ChannelAdapter {
  readonly name: string;
  readonly limits: ChannelLimits;
  /** Connects (polling, socket, webhook registration). Throwing marks the channel failed; the host retries with back-off. */
  start(ctx: ChannelContext): Promise<void>;
  /** Disconnects; the host stops calling deliver()/edit() first. */
  stop(): Promise<void>;
  /** Sends one message; resolves to the platform message id. Throws ChannelDeliveryError. */
  deliver(message: OutboundDelivery): Promise<{ platformMessageId: string }>;
  /** Replaces the text (and buttons) of a delivered message. Throws ChannelDeliveryError. */
  edit(platformMessageId: string, message: OutboundDelivery): Promise<void>;
  health(): AdapterHealth;
  /**
   * HTTP routes on the gateway's own server (web page, webhooks). Called once while the
   * gateway is built, before it listens; /api/* routes are behind the bearer token.
   */
  registerRoutes?(app: FastifyInstance): void;
}

// ---------------------------------------------------------------- the registry shape

/** What a definition gets to build its adapter. */
export interface ChannelBuildDeps {
  /** Resolves a `${env:NAME}` / `vault:NAME` reference found at `keyPath` (throws a clear error). */
  resolveSecret(reference: string, keyPath: string): string;
  logger: ChannelLogger;
  dataDir: string;
  /**
   * Replies as the model writes them, addressed by platform conversation id: an adapter that can
   * show progress subscribes (its `wants` says when a conversation is being watched). Each event
   * holds the reply so far; the final text still arrives through deliver().
   */
  replyStreams?: ReplyStreamHub;
}

/**
 * One channel in channels/registry.ts. Adding a channel = a folder under channels/ exporting one
 * of these + one line in the registry. Its config schema lives in its folder; a channel whose
 * section under `channels:` is absent is not built (unless it has defaultConfig).
 */
export interface ChannelDefinition<TConfig = unknown> {
  readonly name: string;
  /** zod schema of `channels.<name>`; extend channelAccessSchema for access control and group rules. */
  readonly configSchema: ZodType<TConfig>;
  /** When set, the section is present by default (the web page is on unless disabled). */
  readonly defaultConfig?: unknown;
  /** Whether this section asks for the channel to run (e.g. `enabled: false` keeps it off). */
  enabled?(config: TConfig): boolean;
  /** The access settings in this section, read by the host before anything is stored. */
  access(config: TConfig): ChannelAccessConfig;
  /** How the host shows replies as they are written on this platform (absent: the adapter does its own, like the web page). */
  streaming?(config: TConfig): ChannelStreamingConfig;
  create(config: TConfig, deps: ChannelBuildDeps): ChannelAdapter;
}

/** `stream_replies` and `stream_edit_interval_ms` of a section (see channels/access-config.ts). */
export interface ChannelStreamingConfig {
  /** Unset: edits when the adapter's limits say it can edit, else final. */
  replies?: 'edits' | 'final';
  editIntervalMs: number;
}

/** Access control and group rules, common to every channel (see channels/access-config.ts). */
export interface ChannelAccessConfig {
  /** open: anyone; allowlist: only `allow`; pairing: unknown users get a one-time code an admin approves. */
  mode: 'open' | 'allowlist' | 'pairing';
  /** Platform user ids (raw) allowed in allowlist mode (and pre-paired in pairing mode). */
  allow: readonly string[];
  /** Group chats (platform conversation ids) where every message is for the bot. */
  groupChats: readonly string[];
}
