// Wires the channel host from the frozen config: its stores, the outbox, access control, the
// inbound pipeline and the registry's adapters. Kept out of src/gateway.ts so the composition
// root stays a list of parts. Builds nothing a test cannot replace through ChannelHostOptions.
import type { ChannelAccessConfig, ChannelAdapter, ChannelDefinition, ChannelLogger, ChannelStreamingConfig } from '../../channels/channel.js';
import { CHANNEL_DEFINITIONS } from '../../channels/registry.js';
import type { Config } from '../config/schema.js';
import { resolveSecretRef, type SecretSources } from '../config/secret-ref.js';
import type { OutboundMessage } from '../core/types.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { ApprovalService } from '../policy/approval-service.js';
import type { AuditLog } from '../security/audit-log.js';
import type { RateLimiter } from '../security/rate-limiter.js';
import { ChannelInboundStore } from '../store/channel-inbound.js';
import { ConversationKeyStore } from '../store/conversation-keys.js';
import type { Db } from '../store/database.js';
import { OutboxStore } from '../store/outbox.js';
import { PairingStore } from '../store/pairings.js';
import { createAccessControl } from './access-control.js';
import { createChannelHost, hostedChannelsFromConfig, type ChannelHost, type HostedChannel } from './channel-host.js';
import { createChannelDecisions } from './decisions.js';
import { createInboundPipeline } from './inbound.js';
import { createOutbox, type RetryPolicy } from './outbox.js';
import { linkedIdentities } from '../policy/approver-check.js';
import type { ReplyStreamHub } from '../core/reply-stream.js';
import { platformReplyStreams } from './reply-stream-view.js';
import type { PacerClock } from './edit-pacer.js';

/** Steps only an admin may approve are also shown in each admin's chat (policy.admin_chats). */
function adminChatsFor(message: OutboundMessage, config: Readonly<Config>): Array<{ channel: string; conversationId: string; threadId?: string }> {
  if (message.approval?.securityLevel !== 'critical') return [];
  return Object.values(config.policy.admin_chats).map((chat) => ({ channel: chat.channel, conversationId: chat.conversation, ...(chat.thread ? { threadId: chat.thread } : {}) }));
}

/** An adapter a test (or an embedding program) runs besides the configured ones. */
export interface ExtraChannel {
  adapter: ChannelAdapter;
  /** Default: open. */
  access?: ChannelAccessConfig;
  /** Default: the host does not stream replies to it. */
  streaming?: ChannelStreamingConfig;
}

export interface ChannelHostOptions {
  config: Readonly<Config>;
  db: Db;
  secretSources: SecretSources;
  orchestrator: Pick<Orchestrator, 'handleMessage'>;
  approvals: Pick<ApprovalService, 'decide' | 'list'>;
  rateLimiter: Pick<RateLimiter, 'checkMessage'>;
  audit: AuditLog;
  logger: ChannelLogger;
  extraChannels?: readonly ExtraChannel[];
  definitions?: readonly ChannelDefinition<unknown>[];
  redact?: (text: string) => string;
  /** Every secret a channel's config resolves (bot tokens, signing secrets) is registered here: the redactor keeps it out of logs, audit and answers. */
  registerSecret?: (value: string) => void;
  outboxRetry?: RetryPolicy;
  startRetry?: RetryPolicy;
  startWaitMs?: number;
  /** Replies as they are written; adapters get them by platform address, the host shows them as draft edits. */
  replyStreams?: ReplyStreamHub;
  /** Time for the pacing of draft edits (tests drive it by hand). */
  draftClock?: PacerClock;
}

export function createChannelHostFromConfig(options: ChannelHostOptions): ChannelHost {
  const { config, db, logger } = options;
  const keys = new ConversationKeyStore(db);
  const outboxStore = new OutboxStore(db);
  const outbox = createOutbox({ store: outboxStore, logger, ...(options.outboxRetry ? { retry: options.outboxRetry } : {}) });
  const decide = createChannelDecisions(options.approvals);
  // Admins and approvers (and their linked accounts) are always let in.
  const access = createAccessControl({
    pairings: new PairingStore(db),
    trusted: (identity) => [...linkedIdentities(identity, config.policy.identities)].some((id) => config.policy.admins.includes(id) || config.policy.approvers.includes(id)),
  });
  const inbound = createInboundPipeline({
    inbound: new ChannelInboundStore(db),
    keys,
    access,
    decide,
    outbox,
    orchestrator: options.orchestrator,
    rateLimiter: options.rateLimiter,
    audit: options.audit,
    logger,
    ...(options.redact ? { redact: options.redact } : {}),
  });
  const sections = config.channels as Readonly<Record<string, unknown>>;
  const configured = hostedChannelsFromConfig(options.definitions ?? CHANNEL_DEFINITIONS, sections, (definition, section) =>
    definition.create(section, {
      resolveSecret: (reference, keyPath) => {
        const value = resolveSecretRef(reference, keyPath, options.secretSources);
        options.registerSecret?.(value);
        return value;
      },
      logger,
      dataDir: config.data_dir,
      ...(options.replyStreams ? { replyStreams: platformReplyStreams(options.replyStreams, (id) => keys.addressOf(id)) } : {}),
    }),
  );
  const extras: HostedChannel[] = (options.extraChannels ?? []).map((extra) => ({
    name: extra.adapter.name,
    access: extra.access ?? { mode: 'open', allow: [], groupChats: [] },
    ...(extra.streaming ? { streaming: extra.streaming } : {}),
    build: () => extra.adapter,
  }));
  return createChannelHost({
    channels: [...configured, ...extras],
    inbound,
    decide,
    outbox,
    keys,
    audit: options.audit,
    logger,
    extraPromptTargets: (message) => adminChatsFor(message, config),
    mayUse: (channel, channelAccess, identity, platformUserId) => access.mayUse(channel, channelAccess, identity, platformUserId),
    statusText: (conversationId) => {
      const pending = options.approvals.list({ status: 'pending' }).filter((a) => a.conversationId === conversationId).length;
      return `Conversation ${conversationId}: ${pending} approval${pending === 1 ? '' : 's'} waiting. Model: ${config.provider.model}.`;
    },
    ...(options.replyStreams ? { replyStreams: options.replyStreams, draftStore: outboxStore } : {}),
    ...(options.draftClock ? { draftClock: options.draftClock } : {}),
    ...(options.startRetry ? { startRetry: options.startRetry } : {}),
    ...(options.startWaitMs !== undefined ? { startWaitMs: options.startWaitMs } : {}),
  });
}
