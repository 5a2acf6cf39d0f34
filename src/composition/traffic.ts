// Composition step 3: what every message passes on its way in and out — admission (daily
// token budgets first, then the per-minute rate limits), the redacting outbound router, and
// the reply-stream hub for channels that show replies as they are written. Nothing is sent
// from here before the channel host exists: the router delivers through a late binding.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { describeError } from '../core/errors.js';
import { createReplyStreamHub, type ReplyStreamHub } from '../core/reply-stream.js';
import { createOutboundRouter, type OutboundRouter } from '../outbound-router.js';
import { createTokenBudget } from '../providers/token-budget.js';
import { createRateLimiter, type RateDecision, type RateLimiter } from '../security/rate-limiter.js';
import type { SecretRedactor } from '../security/secret-redactor.js';
import type { ChannelHost } from '../channel-host/channel-host.js';
import type { Db } from '../store/database.js';
import type { UsageStore } from '../store/usage.js';
import type { LateBinding } from './late-binding.js';
import type { BudgetDecision } from '../providers/token-budget.js';

export interface TrafficDeps {
  config: Readonly<Config>;
  db: Db;
  usage: UsageStore;
  redactor: SecretRedactor;
  logger: Logger;
  /** The channel host, built in a later step; nothing is delivered before start(). */
  channelHost: LateBinding<ChannelHost>;
}

export type Admit = (message: { channel: string; conversationId: string; userId: string }) => BudgetDecision | RateDecision;

export interface Traffic {
  rateLimiter: RateLimiter;
  /** Daily token budgets first (refused until midnight, told once), then the per-minute rate limits. */
  admit: Admit;
  outbound: OutboundRouter;
  replyStreams: ReplyStreamHub;
}

export function buildTraffic({ config, db, usage, redactor, logger, channelHost }: TrafficDeps): Traffic {
  // Channel messages leave the gateway like API answers do: with every known secret redacted.
  const outbound = createOutboundRouter({ sink: { deliver: (message) => channelHost.get().outbound.deliver(message) }, redact: (m) => redactor.redactDeep(m) });
  const rateLimiter = createRateLimiter({ db, config: config.security.rate_limits });
  // Replies as the model writes them, for channels that can show them (web page, terminal).
  const replyStreams = createReplyStreamHub({ onListenerError: (err) => logger.warn({ err: describeError(err) }, 'a reply-stream subscriber failed') });
  const budgets = createTokenBudget({ usage, config: config.budgets });
  const admit: Admit = (message) => {
    const budget = budgets.check(message.userId);
    return budget.allowed ? rateLimiter.checkMessage(message) : budget;
  };
  return { rateLimiter, admit, outbound, replyStreams };
}
