// An adapter whose platform library loads on its first start(). The registry imports every
// channel's index.ts whether or not the channel is configured, so an adapter module that imports
// its SDK at the top (discord.js alone is hundreds of modules) would cost every gateway that
// memory at start. Everything the host needs before start (name, limits, health, routes) is
// answered here without the SDK.
// Must never deliver before the real adapter runs: deliver()/edit() throw a transient delivery
// error then, so the durable outbox keeps the message and retries it.
import type { FastifyInstance } from 'fastify';
import { ChannelDeliveryError, type AdapterHealth, type ChannelAdapter, type ChannelContext, type ChannelLimits } from './channel.js';

export interface LazyAdapterOptions {
  name: string;
  limits: ChannelLimits;
  /** Imports the SDK-backed module and builds the real adapter; called once, on the first start(). */
  load(): Promise<ChannelAdapter>;
  /** Health while the real adapter is not built yet. */
  idleHealth?(): AdapterHealth;
  /** Routes on the gateway's own port, registered before start (they answer before the SDK loads). */
  registerRoutes?(app: FastifyInstance): void;
  /** Seen by start() before the real adapter is asked to start (e.g. a route's malformed-request reporter). */
  onContext?(ctx: ChannelContext): void;
}

export function createLazyAdapter(options: LazyAdapterOptions): ChannelAdapter & { loaded(): ChannelAdapter | undefined } {
  let real: ChannelAdapter | undefined;
  let loading: Promise<ChannelAdapter> | undefined;

  function running(): ChannelAdapter {
    if (real) return real;
    throw new ChannelDeliveryError('transient', `The ${options.name} channel has not started yet; the message waits in the outbox.`);
  }

  const adapter: ChannelAdapter & { loaded(): ChannelAdapter | undefined } = {
    name: options.name,
    limits: options.limits,
    async start(ctx) {
      options.onContext?.(ctx);
      loading ??= options.load();
      real = await loading;
      await real.start(ctx);
    },
    async stop() {
      await real?.stop();
    },
    deliver: async (message) => running().deliver(message),
    edit: async (platformMessageId, message) => running().edit(platformMessageId, message),
    health: () => real?.health() ?? options.idleHealth?.() ?? { connected: false },
    loaded: () => real,
  };
  if (options.registerRoutes) adapter.registerRoutes = options.registerRoutes;
  return adapter;
}
