// When Slack is acknowledged, checked with a real Bolt App: an Events API callback only once its
// listener has finished (the host stored it), never on Bolt's own early ack; a press or a
// command as soon as its listener calls ack(); nothing when storing failed (Slack retries); and
// anyway at the deadline. Ordering is checked with gates, not clocks.
import { App } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { createDispatch, type AckDecision } from '../../../channels/slack/dispatch.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => 'error' as never, setName() {} };

function logger() {
  const warnings: string[] = [];
  const noop = () => undefined;
  return { warnings, logger: { debug: noop, info: noop, error: noop, warn: (_o: Record<string, unknown>, msg: string) => void warnings.push(msg) } };
}

function makeApp(): App {
  let app: App | undefined;
  const receiver = { init: (a: App) => void (app = a), start: async () => undefined, stop: async () => undefined };
  new App({ token: 'xoxb-unit', botId: 'B0UNIT', botUserId: 'U0BOT', receiver, tokenVerificationEnabled: false, convoStore: false, logger: quiet as never });
  return app!;
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

function track(decision: Promise<AckDecision>) {
  const state: { value?: AckDecision } = {};
  void decision.then((v) => (state.value = v));
  return state;
}

async function ticks(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

const eventBody = { type: 'event_callback', team_id: 'T0', api_app_id: 'A0', event_id: 'Ev1', event: { type: 'message', channel: 'D1', user: 'U1', text: 'hi', ts: '1.000001', channel_type: 'im' } };
const commandBody = { command: '/securesphere', text: 'status', user_id: 'U1', channel_id: 'D1', team_id: 'T0', trigger_id: 't1', response_url: 'http://127.0.0.1:1/x' };

describe('Slack dispatch: when Slack is acknowledged', () => {
  it('acknowledges an event only after its listener finished (not on Bolt early ack)', async () => {
    const app = makeApp();
    const g = gate();
    let listenerDone = false;
    app.event('message', async () => {
      await g.opened;
      listenerDone = true;
    });
    const dispatch = createDispatch({ app: () => app, logger: logger().logger });
    const state = track(dispatch({ body: eventBody }));
    await ticks();
    expect(state.value).toBeUndefined();
    g.open();
    await ticks();
    expect(listenerDone).toBe(true);
    expect(state.value).toEqual({ ok: true });
  });

  it('does not acknowledge an event whose listener failed, so Slack delivers it again', async () => {
    const app = makeApp();
    app.event('message', async () => {
      throw new TypeError('store unavailable');
    });
    const log = logger();
    expect(await createDispatch({ app: () => app, logger: log.logger })({ body: eventBody })).toEqual({ ok: false });
    expect(log.warnings).toEqual(['slack: processing failed; Slack will retry']);
  });

  it('acknowledges a command as soon as its listener calls ack(), with the ack body', async () => {
    const app = makeApp();
    const g = gate();
    app.command('/securesphere', async ({ ack }) => {
      await ack({ text: 'pong' });
      await g.opened;
    });
    const decision = await createDispatch({ app: () => app, logger: logger().logger })({ body: commandBody });
    expect(decision).toEqual({ ok: true, response: { text: 'pong' } });
    g.open();
  });

  it('acknowledges anyway at the deadline, and refuses while not started', async () => {
    const app = makeApp();
    app.event('message', () => new Promise<void>(() => undefined));
    const log = logger();
    expect(await createDispatch({ app: () => app, logger: log.logger, ackDeadlineMs: 20 })({ body: eventBody })).toEqual({ ok: true });
    expect(log.warnings).toEqual(['slack: acknowledging before the event was stored (ack deadline reached)']);
    expect(await createDispatch({ app: () => undefined, logger: log.logger })({ body: eventBody })).toEqual({ ok: false });
  });
});
