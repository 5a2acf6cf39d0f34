// Starts a whole gateway with the Slack channel configured (through the registry and the real
// config loader, secrets as ${env:} references) against the Slack stand-in, in Socket Mode or
// HTTP mode. Alice and Bob are allowlisted, Bob is an approver, Mallory is a stranger.
import { startFakeSlack, waitFor, type FakeSlack } from '../../fakes/slack.js';
import type { GatewayOptions } from '../../../src/gateway.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

export const ALICE = 'U0ALICE';
export const BOB = 'U0BOB';
export const MALLORY = 'U0MALLORY';
export const GENERAL = 'C0GENERAL';
export const ALICE_DM = 'D0ALICE';
export const MALLORY_DM = 'D0MALLORY';
export const BOB_DM = 'D0BOB';

export type SlackMode = 'socket' | 'http';

export interface SlackGateway {
  t: TestGateway;
  slack: FakeSlack;
  mode: SlackMode;
  /** Turns done, outbox delivered, approvals settled. */
  settle(): Promise<void>;
  health(): ReturnType<TestGateway['gateway']['channels']['health']>[number] | undefined;
  close(): Promise<void>;
}

export interface SlackGatewayOptions {
  mode: SlackMode;
  slack?: FakeSlack;
  /** Overrides of channels.slack. */
  section?: Record<string, unknown>;
  config?: Record<string, unknown>;
  dataDir?: string;
  env?: Record<string, string>;
  /** Wait for the channel to be running (default true). */
  waitRunning?: boolean;
  /** Merged over the test gateway's options (e.g. a hand-driven clock for draft edits). */
  gatewayOptions?: Partial<GatewayOptions>;
}

export async function startFakeWorkspace(): Promise<FakeSlack> {
  const slack = await startFakeSlack();
  slack.addUser({ id: ALICE, name: 'alice' });
  slack.addUser({ id: BOB, name: 'bob' });
  slack.addUser({ id: MALLORY, name: 'mallory' });
  slack.addChannel({ id: GENERAL, name: 'general', isIm: false });
  slack.addChannel({ id: ALICE_DM, name: 'alice', isIm: true });
  slack.addChannel({ id: MALLORY_DM, name: 'mallory', isIm: true });
  slack.addChannel({ id: BOB_DM, name: 'bob', isIm: true });
  return slack;
}

export async function startSlackGateway(options: SlackGatewayOptions): Promise<SlackGateway> {
  const ownsSlack = options.slack === undefined;
  const slack = options.slack ?? (await startFakeWorkspace());
  const t = await startTestGateway({
    config: {
      policy: { approvers: [`slack:${BOB}`] },
      channels: {
        slack: {
          mode: options.mode,
          bot_token: '${env:SLACK_BOT_TOKEN}',
          app_token: '${env:SLACK_APP_TOKEN}',
          signing_secret: '${env:SLACK_SIGNING_SECRET}',
          api_url: slack.apiUrl,
          access: 'allowlist',
          allow: [ALICE, BOB],
          ...(options.section ?? {}),
        },
      },
      ...(options.config ?? {}),
    },
    env: { SLACK_BOT_TOKEN: slack.bot.token, SLACK_APP_TOKEN: slack.bot.appToken, SLACK_SIGNING_SECRET: slack.signingSecret, ...(options.env ?? {}) },
    gatewayOptions: { outboxRetry: { baseMs: 50, maxMs: 500 }, channelStartRetry: { baseMs: 100, maxMs: 1000 }, ...(options.gatewayOptions ?? {}) },
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  if (options.mode === 'http') slack.useHttp(`${t.url}/slack/events`);
  else slack.useSocket();
  const health = () => t.gateway.channels.health().find((c) => c.name === 'slack');
  if (options.waitRunning ?? true) await waitFor(() => health()?.state === 'running', 15_000, 'the slack channel to run');
  return {
    t,
    slack,
    mode: options.mode,
    health,
    async settle() {
      for (let i = 0; i < 3; i++) {
        await t.gateway.channels.settled();
        await t.gateway.approvals.settled();
        await t.gateway.orchestrator.drain();
      }
      await t.gateway.channels.settled();
    },
    async close() {
      await t.close();
      if (ownsSlack) await slack.close();
    },
  };
}
