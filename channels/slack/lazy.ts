// The Slack adapter as the registry builds it: everything the gateway needs before start (name,
// limits, health, HTTP mode's route on the gateway's own port) without loading @slack/bolt, which
// costs about a second and 40 MB; Bolt and the real adapter (adapter.ts) load on the first
// start(). A gateway without a `channels.slack` section never loads them at all.
// Must never deliver before the real adapter runs: the outbox keeps such messages and retries.
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import type { ChannelAdapter, ChannelContext } from '../channel.js';
import { createLazyAdapter } from '../lazy-adapter.js';
import type { SlackAdapterDeps } from './adapter.js';
import { createSlackEventsRoute, type SlackEventsRoute } from './http-route.js';
import { SLACK_TEXT_LIMIT } from './render.js';

export interface LazySlackAdapterDeps extends Omit<SlackAdapterDeps, 'eventsRoute'> {
  /** HTTP mode's signing secret. */
  signingSecret?: string;
}

export function createLazySlackAdapter(deps: LazySlackAdapterDeps): ChannelAdapter {
  const { config, logger } = deps;
  let host: ChannelContext | undefined;
  let route: SlackEventsRoute | undefined;
  if (config.mode === 'http') {
    if (!deps.signingSecret) throw new SecureSphereError(ERROR_CODES.CHANNEL_START_FAILED, 'channels.slack.signing_secret is needed in mode http; set it to a secret reference.');
    route = createSlackEventsRoute({
      path: config.events_path,
      signingSecret: deps.signingSecret,
      logger,
      dropMalformed: (reason, details) => (host ? host.dropMalformed(reason, details) : logger.warn({ reason, ...details }, 'slack: dropped a malformed request')),
    });
  }

  return createLazyAdapter({
    name: 'slack',
    limits: { maxTextLength: SLACK_TEXT_LIMIT, supportsEdit: true },
    onContext: (ctx) => {
      host = ctx;
    },
    async load() {
      const { createSlackAdapter } = await import('./adapter.js');
      const { signingSecret: _unused, ...rest } = deps;
      return createSlackAdapter({ ...rest, ...(route ? { eventsRoute: route } : {}) });
    },
    idleHealth: () => ({ connected: false, details: { mode: config.mode } }),
    registerRoutes(fastify: FastifyInstance) {
      route?.register(fastify);
    },
  });
}
