// A Bolt receiver for Socket Mode: @slack/socket-mode's client (pointed at the configured Web API
// base for apps.connections.open) feeds every envelope to dispatch.ts, which acknowledges it over
// the WebSocket once it is stored (or at once for presses and commands). An envelope whose
// processing failed is left unacknowledged, so Slack delivers it again. Tracks the link for
// health. Must never log the app token or an envelope body.
import type { App, Receiver } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import type { ChannelLogger } from '../channel.js';
import { describeSlackError } from './delivery-errors.js';
import { createDispatch } from './dispatch.js';
import type { BoltLogger } from './bolt-logger.js';

export interface SocketReceiverDeps {
  appToken: string;
  apiUrl: string;
  logger: ChannelLogger;
  boltLogger: BoltLogger;
  /** Socket Mode's pong timeout; also its reconnect delay. Default 5000 (the SDK's). */
  clientPingTimeoutMs?: number;
  ackDeadlineMs?: number;
  onLink(connected: boolean, lastError?: string): void;
}

interface SlackEventArgs {
  ack(response?: Record<string, unknown>): Promise<void>;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
}

export function createSocketReceiver(deps: SocketReceiverDeps): Receiver {
  let app: App | undefined;
  const client = new SocketModeClient({
    appToken: deps.appToken,
    logger: deps.boltLogger,
    clientPingTimeout: deps.clientPingTimeoutMs ?? 5_000,
    clientOptions: { slackApiUrl: deps.apiUrl },
  });
  const dispatch = createDispatch({ app: () => app, logger: deps.logger, ...(deps.ackDeadlineMs ? { ackDeadlineMs: deps.ackDeadlineMs } : {}) });

  client.on('connected', () => deps.onLink(true));
  client.on('reconnecting', () => deps.onLink(false, 'socket mode reconnecting'));
  client.on('disconnected', () => deps.onLink(false, 'socket mode disconnected'));
  client.on('slack_event', (args: SlackEventArgs) => {
    void dispatch({ body: args.body, ...(args.retry_num !== undefined ? { retryNum: args.retry_num } : {}), ...(args.retry_reason ? { retryReason: args.retry_reason } : {}) }).then(async (decision) => {
      if (!decision.ok) return;
      try {
        await args.ack(decision.response as Record<string, unknown> | undefined);
      } catch (err) {
        deps.logger.warn({ err: describeSlackError(err) }, 'slack: could not acknowledge over the socket; Slack will deliver again');
      }
    });
  });

  return {
    init(boltApp: App) {
      app = boltApp;
    },
    async start() {
      await client.start();
    },
    async stop() {
      await client.disconnect();
    },
  };
}
