// The Slack adapter as the registry builds it: everything the gateway needs before start (name,
// limits, health, HTTP mode's route on the gateway's own port) without loading @slack/bolt, which
// costs about a second and 40 MB; Bolt and the real adapter (adapter.ts) load on the first
// start(). A gateway without a `channels.slack` section never loads them at all.
// Must never deliver before the real adapter runs: the outbox keeps such messages and retries.
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { ChannelDeliveryError, type ChannelAdapter, type ChannelContext } from '../channel.js';
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
  let real: ChannelAdapter | undefined;
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

  async function load(): Promise<ChannelAdapter> {
    if (!real) {
      const { createSlackAdapter } = await import('./adapter.js');
      const { signingSecret: _unused, ...rest } = deps;
      real = createSlackAdapter({ ...rest, ...(route ? { eventsRoute: route } : {}) });
    }
    return real;
  }

  function running(): ChannelAdapter {
    if (real) return real;
    throw new ChannelDeliveryError('transient', 'The Slack channel has not started yet; the message waits in the outbox.');
  }

  return {
    name: 'slack',
    limits: { maxTextLength: SLACK_TEXT_LIMIT, supportsEdit: true },
    async start(ctx) {
      host = ctx;
      await (await load()).start(ctx);
    },
    async stop() {
      await real?.stop();
    },
    deliver: async (message) => running().deliver(message),
    edit: async (platformMessageId, message) => running().edit(platformMessageId, message),
    health: () => real?.health() ?? { connected: false, details: { mode: config.mode } },
    registerRoutes(fastify: FastifyInstance) {
      route?.register(fastify);
    },
  };
}
