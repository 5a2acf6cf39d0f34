// Composition step 9: the channel host with every configured chat-platform adapter (plus any
// the embedding program passes), its durable outbox and its health. Channel messages are
// admitted by the host (budgets, then rate limits); nothing starts until start().
import type { Logger } from 'pino';
import type { ChannelHost } from '../channel-host/channel-host.js';
import { createChannelHostFromConfig, type ExtraChannel } from '../channel-host/from-config.js';
import type { PacerClock } from '../channel-host/edit-pacer.js';
import type { RetryPolicy } from '../channel-host/outbox.js';
import type { Config } from '../config/schema.js';
import type { SecretSources } from '../config/secret-ref.js';
import type { ReplyStreamHub } from '../core/reply-stream.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { ApprovalService } from '../policy/approval-service.js';
import type { AuditChain } from '../security/audit-chain.js';
import type { SecretRedactor } from '../security/secret-redactor.js';
import type { Db } from '../store/database.js';
import type { Admit } from './traffic.js';

export interface ChannelsDeps {
  config: Readonly<Config>;
  db: Db;
  secretSources: SecretSources;
  orchestrator: Orchestrator;
  approvals: ApprovalService;
  admit: Admit;
  replyStreams: ReplyStreamHub;
  audit: AuditChain;
  redactor: SecretRedactor;
  logger: Logger;
  extraChannels?: ExtraChannel[];
  outboxRetry?: RetryPolicy;
  startRetry?: RetryPolicy;
  startWaitMs?: number | undefined;
  /** Time for the pacing of streamed draft edits (tests drive it by hand). */
  draftClock?: PacerClock | undefined;
}

export function buildChannels(deps: ChannelsDeps): ChannelHost {
  const { redactor } = deps;
  return createChannelHostFromConfig({
    config: deps.config,
    db: deps.db,
    secretSources: deps.secretSources,
    orchestrator: deps.orchestrator,
    approvals: deps.approvals,
    rateLimiter: { checkMessage: deps.admit },
    replyStreams: deps.replyStreams,
    audit: deps.audit,
    logger: deps.logger.child({ module: 'channels' }),
    redact: (text) => redactor.redact(text),
    registerSecret: (value) => redactor.add(value),
    ...(deps.extraChannels ? { extraChannels: deps.extraChannels } : {}),
    ...(deps.outboxRetry ? { outboxRetry: deps.outboxRetry } : {}),
    ...(deps.startRetry ? { startRetry: deps.startRetry } : {}),
    ...(deps.startWaitMs !== undefined ? { startWaitMs: deps.startWaitMs } : {}),
    ...(deps.draftClock ? { draftClock: deps.draftClock } : {}),
  });
}
