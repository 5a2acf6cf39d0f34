// A Bolt receiver for Socket Mode: @slack/socket-mode's client (pointed at the configured Web API
// base for apps.connections.open) feeds every envelope to dispatch.ts, which acknowledges it over
// the WebSocket once it is stored (or at once for presses and commands). An envelope whose
// processing failed is left unacknowledged, so Slack delivers it again. Reconnecting is done
// here, not by the SDK: its own reconnect leaves a rejected promise nobody handles when Slack
// refuses (a revoked or rotated app token), which would end the whole gateway process. Here a
// refresh reconnects at once and failures back off (1 s doubling to 60 s), reported in health.
// Must never log the app token or an envelope body.
import type { App, Receiver } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import type { ChannelLogger } from '../channel.js';
import type { BoltLogger } from './bolt-logger.js';
import { describeSlackError } from './delivery-errors.js';
import { createDispatch } from './dispatch.js';

export interface SocketReceiverDeps {
  appToken: string;
  apiUrl: string;
  logger: ChannelLogger;
  boltLogger: BoltLogger;
  onLink(connected: boolean, lastError?: string): void;
}

interface SlackEventArgs {
  ack(response?: Record<string, unknown>): Promise<void>;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
}

const RECONNECT_MAX_MS = 60_000;

export function createSocketReceiver(deps: SocketReceiverDeps): Receiver {
  let app: App | undefined;
  let running = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  const client = new SocketModeClient({
    appToken: deps.appToken,
    logger: deps.boltLogger,
    autoReconnectEnabled: false,
    // Failures surface at once and are retried below, with the back-off shown in health.
    clientOptions: { slackApiUrl: deps.apiUrl, retryConfig: { retries: 0 } },
  });
  const dispatch = createDispatch({ app: () => app, logger: deps.logger });

  function scheduleReconnect(): void {
    if (!running || timer) return;
    const wait = failures === 0 ? 0 : Math.min(RECONNECT_MAX_MS, 1_000 * 2 ** (failures - 1));
    timer = setTimeout(() => {
      timer = undefined;
      void reconnect();
    }, wait);
    timer.unref();
  }

  async function reconnect(): Promise<void> {
    if (!running) return;
    try {
      await client.start();
    } catch (err) {
      failures += 1;
      const reason = describeSlackError(err);
      deps.onLink(false, `socket mode reconnect failed: ${reason}`);
      deps.logger.warn({ err: reason, attempt: failures }, 'slack: Socket Mode reconnect failed; retrying with back-off');
      scheduleReconnect();
    }
  }

  client.on('connected', () => {
    failures = 0;
    deps.onLink(true);
  });
  client.on('disconnected', () => {
    if (!running) return;
    deps.onLink(false, 'socket mode disconnected');
    scheduleReconnect();
  });
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
      running = true;
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      timer = undefined;
      await client.disconnect();
    },
  };
}
