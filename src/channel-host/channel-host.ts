// The channel host: the one place chat-platform adapters meet the gateway. It builds adapters
// from config through the registry, gives each one its ChannelContext (receive / decide /
// identity / ...), starts them independently (one failing to start is reported and retried with
// back-off while the others run), feeds their outbox, and reports per-channel health. The
// orchestrator and the approval service reach channels only through its outbound sink.
// Never lets one adapter's failure stop another, and never sends past the outbox.
import type { FastifyInstance } from 'fastify';
import type {
  AdapterHealth,
  ChannelAccessConfig,
  ChannelAdapter,
  ChannelContext,
  ChannelDefinition,
  ChannelHealth,
  ChannelLogger,
  ChannelStreamingConfig,
} from '../../channels/channel.js';
import { toIdentity } from '../../channels/channel.js';
import { ERROR_CODES, SecureSphereError, describeError } from '../core/errors.js';
import type { OutboundSink } from '../core/outbound.js';
import type { OutboundMessage } from '../core/types.js';
import type { AuditLog } from '../security/audit-log.js';
import type { ConversationKeyStore } from '../store/conversation-keys.js';
import type { InboundPipeline } from './inbound.js';
import { outboxTargetFor } from './inbound.js';
import type { DecideFn } from './decisions.js';
import type { Outbox, RetryPolicy } from './outbox.js';
import type { ReplyStreamHub } from '../core/reply-stream.js';
import type { PacerClock } from './edit-pacer.js';
import { createReplyDrafts, streamingSettings, type DraftStore, type ReplyDrafts } from './reply-drafts.js';

/** An adapter the host runs, with its access settings (from its config section). */
export interface HostedChannel {
  name: string;
  access: ChannelAccessConfig;
  /** stream_replies settings; absent: the host never streams this channel (the web page does its own). */
  streaming?: ChannelStreamingConfig;
  /** Built lazily when create() failed at start-up (a secret not yet available). */
  build(): ChannelAdapter;
}

export interface ChannelHostDeps {
  channels: readonly HostedChannel[];
  inbound: InboundPipeline;
  decide: DecideFn;
  outbox: Outbox;
  keys: ConversationKeyStore;
  audit: AuditLog;
  logger: ChannelLogger;
  /** Who else must see an approval prompt (admins' notification chats for admin-only steps). */
  extraPromptTargets?: (message: OutboundMessage) => Array<{ channel: string; conversationId: string; threadId?: string }>;
  /** Summary for `/status`. */
  statusText?: (conversationId: string) => string;
  /** Whether a platform user may use the bot on a channel (`/new` and `/status` are refused otherwise). Default: everyone. */
  mayUse?: (channel: string, access: ChannelAccessConfig, identity: string, platformUserId: string) => boolean;
  /** How long start() waits for the channels before returning (they keep starting). Default 10 s. */
  startWaitMs?: number;
  /** Back-off between start attempts of a failed channel. Default 1 s doubling to 5 min. */
  startRetry?: RetryPolicy;
  now?: () => number;
  /** Replies as the model writes them: shown as paced draft edits on channels with `streaming`. */
  replyStreams?: ReplyStreamHub;
  /** Where drafts are recorded (the outbox's store); required with replyStreams. */
  draftStore?: DraftStore;
  /** Time for the draft edit pacing (tests drive it by hand). */
  draftClock?: PacerClock;
}

export interface ChannelHost {
  /** HTTP routes of every adapter that has them (built before the server listens). */
  registerRoutes(app: FastifyInstance): void;
  /** Processes rows a restart interrupted, then starts every channel (failures are retried, never thrown). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Where the orchestrator and the approval service send replies and prompts. */
  outbound: OutboundSink;
  health(): ChannelHealth[];
  /** Resolves when turns started by channel messages are done and the outbox has nothing due. */
  settled(): Promise<void>;
  adapter(name: string): ChannelAdapter | undefined;
}

interface Slot {
  hosted: HostedChannel;
  adapter?: ChannelAdapter;
  state: ChannelHealth['state'];
  lastError?: string;
  attempts: number;
  nextRetryAt?: number;
  timer?: NodeJS.Timeout;
}

const DEFAULT_START_RETRY: RetryPolicy = { baseMs: 1000, maxMs: 300_000 };

/** Builds definitions' adapters from parsed config sections; sections absent (and not on by default) are skipped. */
export function hostedChannelsFromConfig(
  definitions: readonly ChannelDefinition<unknown>[],
  sections: Readonly<Record<string, unknown>>,
  build: (definition: ChannelDefinition<unknown>, section: unknown) => ChannelAdapter,
): HostedChannel[] {
  const out: HostedChannel[] = [];
  for (const definition of definitions) {
    const section = Object.hasOwn(sections, definition.name) ? sections[definition.name] : undefined;
    if (section === undefined) continue;
    if (definition.enabled && !definition.enabled(section)) continue;
    out.push({
      name: definition.name,
      access: definition.access(section),
      ...(definition.streaming ? { streaming: definition.streaming(section) } : {}),
      build: () => build(definition, section),
    });
  }
  return out;
}

export function createChannelHost(deps: ChannelHostDeps): ChannelHost {
  const now = deps.now ?? Date.now;
  const retry = deps.startRetry ?? DEFAULT_START_RETRY;
  const slots = new Map<string, Slot>();
  let stopped = false;

  for (const hosted of deps.channels) {
    const slot: Slot = { hosted, state: 'starting', attempts: 0 };
    try {
      slot.adapter = hosted.build();
      deps.outbox.setTextLimit(hosted.name, slot.adapter.limits.maxTextLength);
    } catch (err) {
      slot.state = 'failed';
      slot.lastError = describeError(err);
      deps.logger.error({ channel: hosted.name, err: slot.lastError }, 'channel could not be built; will retry');
    }
    slots.set(hosted.name, slot);
  }

  const drafts: ReplyDrafts | undefined =
    deps.replyStreams && deps.draftStore
      ? createReplyDrafts({
          hub: deps.replyStreams,
          store: deps.draftStore,
          outbox: deps.outbox,
          targetOf: (channel, conversationId) => {
            const address = slots.has(channel) ? deps.keys.addressOf(conversationId) : undefined;
            return address?.channel === channel ? outboxTargetFor(address, conversationId) : undefined;
          },
          settingsOf: (channel) => streamingSettings(slots.get(channel)?.hosted.streaming, slots.get(channel)?.adapter),
          textLimitOf: (channel) => slots.get(channel)?.adapter?.limits.maxTextLength,
          adapterOf: (channel) => {
            const slot = slots.get(channel);
            return slot?.state === 'running' ? slot.adapter : undefined;
          },
          logger: deps.logger,
          ...(deps.draftClock ? { clock: deps.draftClock } : {}),
        })
      : undefined;
  if (drafts) deps.outbox.setDraftSettler((seq) => drafts.settled(seq));

  function contextFor(slot: Slot): ChannelContext {
    const channel = slot.hosted.name;
    const logger = deps.logger;
    return {
      channel,
      receive: (message) => deps.inbound.receive(channel, slot.hosted.access, message),
      decide: (input) => deps.decide(channel, input),
      async resetConversation(address, senderId) {
        // A stranger must not wipe (or read the state of) a conversation others use.
        if (deps.mayUse && !deps.mayUse(channel, slot.hosted.access, toIdentity(channel, senderId), senderId)) {
          deps.audit.append({ type: 'conversation-reset-refused', actor: toIdentity(channel, senderId), details: { channel } });
          throw new SecureSphereError(ERROR_CODES.FORBIDDEN, 'You may not start a new conversation here: this bot only talks to people it has been told to.');
        }
        const id = deps.keys.reset({ channel, ...address }, now());
        deps.audit.append({ type: 'conversation-reset', actor: toIdentity(channel, senderId), conversationId: id, details: { channel } });
      },
      async statusText(address, senderId) {
        if (deps.mayUse && !deps.mayUse(channel, slot.hosted.access, toIdentity(channel, senderId), senderId)) {
          return 'This bot only talks to people it has been told to; ask an admin for access.';
        }
        const id = deps.keys.resolve({ channel, ...address }, now());
        return deps.statusText ? deps.statusText(id) : `Conversation ${id}.`;
      },
      notify(address, text) {
        const id = deps.keys.resolve({ channel, ...address }, now());
        deps.outbox.enqueueText(outboxTargetFor({ channel, ...address }, id), text);
      },
      identity: (platformUserId) => toIdentity(channel, platformUserId),
      recentConversations: async (sinceMs) => deps.inbound.recentConversations(channel, sinceMs),
      dropMalformed(reason, details = {}) {
        logger.warn({ ...details, channel, reason }, 'malformed platform event dropped');
      },
      logger,
    };
  }

  async function startSlot(slot: Slot): Promise<void> {
    if (stopped) return;
    slot.timer = undefined;
    slot.state = 'starting';
    try {
      slot.adapter ??= slot.hosted.build();
      deps.outbox.setTextLimit(slot.hosted.name, slot.adapter.limits.maxTextLength);
      await slot.adapter.start(contextFor(slot));
      if (stopped) return;
      slot.state = 'running';
      slot.attempts = 0;
      slot.lastError = undefined;
      slot.nextRetryAt = undefined;
      deps.outbox.attach(slot.hosted.name, slot.adapter);
      deps.logger.info({ channel: slot.hosted.name }, 'channel started');
    } catch (err) {
      slot.state = 'failed';
      slot.lastError = describeError(err);
      const wait = Math.min(retry.maxMs, retry.baseMs * 2 ** Math.min(slot.attempts, 30));
      slot.attempts += 1;
      slot.nextRetryAt = now() + wait;
      deps.logger.error({ channel: slot.hosted.name, err: slot.lastError, retry_in_ms: wait }, 'channel failed to start; retrying with back-off');
      slot.timer = setTimeout(() => void startSlot(slot), wait);
      slot.timer.unref();
    }
  }

  const outbound: OutboundSink = {
    async deliver(message) {
      // A decided or expired prompt: every copy, on whatever channel it was shown, is edited.
      if (message.approval?.outcome) {
        deps.outbox.enqueuePromptUpdate(message.approval.approvalId, message.text, message.approval);
        return undefined;
      }
      const hosted = slots.has(message.channel);
      const address = hosted ? deps.keys.addressOf(message.conversationId) : undefined;
      if (hosted && !address) deps.logger.warn({ channel: message.channel, conversationId: message.conversationId }, 'outbound message for an unknown conversation dropped');
      if (!hosted && message.channel !== 'api') deps.logger.warn({ channel: message.channel }, 'no configured channel for an outbound message');
      if (!message.approval) {
        if (!address) return undefined;
        // A streamed draft of this conversation becomes the reply's first message (queued now,
        // in one transaction with closing the draft; the outbox waits for a draft call in flight).
        const draft = drafts?.takeForReply(message.conversationId);
        deps.outbox.enqueueText(outboxTargetFor(address, message.conversationId), message.text, draft !== undefined ? { replaceDraft: draft } : {});
        return undefined;
      }
      if (address) drafts?.closeBeforePrompt(message.conversationId);
      if (address) deps.outbox.enqueuePrompt(outboxTargetFor(address, message.conversationId), message.text, message.approval);
      // Also where admins see admin-only steps, even when the request came from the HTTP API.
      for (const extra of deps.extraPromptTargets?.(message) ?? []) {
        if (!slots.has(extra.channel)) continue;
        if (address && extra.channel === address.channel && extra.conversationId === address.conversationId && (extra.threadId ?? '') === (address.threadId ?? '')) continue;
        const id = deps.keys.resolve(extra, now());
        deps.outbox.enqueuePrompt(outboxTargetFor(extra, id), message.text, message.approval);
      }
      return undefined;
    },
  };

  return {
    registerRoutes(app) {
      for (const slot of slots.values()) slot.adapter?.registerRoutes?.(app);
    },
    async start() {
      // Drafts a crash left open are marked interrupted before any recovered turn writes again.
      drafts?.start();
      deps.inbound.recover();
      deps.outbox.prune();
      // Waits a little for the channels to come up, never for a slow one: the gateway (and its
      // health report) must not hang on a platform that does not answer.
      const starts = Promise.all([...slots.values()].map((slot) => startSlot(slot)));
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([starts, new Promise<void>((resolve) => (waited = setTimeout(resolve, deps.startWaitMs ?? 10_000)))]);
      clearTimeout(waited);
    },
    async stop() {
      stopped = true;
      await drafts?.stop();
      for (const slot of slots.values()) {
        clearTimeout(slot.timer);
        deps.outbox.detach(slot.hosted.name);
      }
      await deps.outbox.stop();
      for (const slot of slots.values()) {
        if (slot.state === 'running') await slot.adapter?.stop().catch((err: unknown) => deps.logger.warn({ channel: slot.hosted.name, err: describeError(err) }, 'channel stop failed'));
        slot.state = 'stopped';
      }
      await deps.inbound.settled();
    },
    outbound,
    health() {
      return [...slots.values()].map((slot) => {
        let own: AdapterHealth = { connected: false };
        try {
          if (slot.adapter) own = slot.adapter.health();
        } catch (err) {
          own = { connected: false, lastError: describeError(err) };
        }
        const lastError = slot.lastError ?? own.lastError;
        return {
          name: slot.hosted.name,
          state: slot.state,
          connected: slot.state === 'running' && own.connected,
          ...(lastError !== undefined ? { lastError } : {}),
          ...(own.details ? { details: own.details } : {}),
          outboxBacklog: deps.outbox.backlog(slot.hosted.name),
          ...(slot.state === 'failed' && slot.nextRetryAt !== undefined ? { nextRetryAt: new Date(slot.nextRetryAt).toISOString() } : {}),
        };
      });
    },
    async settled() {
      // Turns first (they queue replies), then the deliveries they queued.
      await deps.inbound.settled();
      await deps.outbox.idle();
    },
    adapter: (name) => slots.get(name)?.adapter,
  };
}
