// A Slack stand-in for tests and benchmarks, on real sockets: the Web API and the Socket Mode
// WebSocket on one 127.0.0.1 port, plus Slack's side of HTTP mode (signed POSTs to the app).
// Tests act as Slack users — a DM, a channel message, an @mention, a button press, a slash
// command — and read what the bot posted, updated and posted ephemerally. Every envelope's
// acknowledgement is recorded with its arrival time (Socket Mode ack or HTTP response).
// Must never deliver anything over HTTP mode unsigned unless a test asks for it explicitly.
import { postSigned, type HttpEnvelopeKind, type SignedPostOptions } from './slack-http-mode.js';
import { createPayloadBuilder, type ClickInput, type SlashInput, type UserMessageInput } from './slack-payloads.js';
import { createSocketModeServer, type EnvelopeType } from './slack-socket-mode.js';
import { createSlackWorkspace, type BotMessage, type SlackWorkspaceOptions } from './slack-state.js';
import { startSlackWebApi } from './slack-web-api.js';

export type { BotMessage, EphemeralMessage } from './slack-state.js';
export { postSigned, slackSignature } from './slack-http-mode.js';

export interface FakeSlackOptions extends SlackWorkspaceOptions {
  signingSecret?: string;
  pingIntervalMs?: number;
}

/** Slack's view of one delivered envelope, once the app acknowledged it. */
export interface Delivered {
  kind: EnvelopeType;
  payload: Record<string, unknown>;
  /** The message ts, for message and app_mention events. */
  ts?: string;
  eventId?: string;
  /** performance.now() when the ack arrived. */
  ackAt: number;
  /** HTTP status in HTTP mode; 200 for a Socket Mode ack. */
  status: number;
  /** The ack's response payload (Socket Mode `payload`, HTTP body parsed when JSON). */
  response: unknown;
}

function parseMaybeJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startFakeSlack(options: FakeSlackOptions = {}) {
  const workspace = createSlackWorkspace(options);
  const socket = createSocketModeServer({ ...(options.pingIntervalMs ? { pingIntervalMs: options.pingIntervalMs } : {}) });
  const web = await startSlackWebApi({ workspace, socketMode: socket });
  const build = createPayloadBuilder(workspace, web.url);
  const signingSecret = options.signingSecret ?? 'fake-signing-secret-5d41402abc4b2a76';
  let httpTarget: string | undefined;

  async function deliver(kind: EnvelopeType, payload: Record<string, unknown>, extra: { ts?: string; retryNum?: number } = {}): Promise<Delivered> {
    const eventId = typeof payload.event_id === 'string' ? payload.event_id : undefined;
    const base = { kind, payload, ...(extra.ts ? { ts: extra.ts } : {}), ...(eventId ? { eventId } : {}) };
    if (httpTarget) {
      const signOptions: SignedPostOptions = { signingSecret, ...(extra.retryNum ? { retryNum: extra.retryNum } : {}) };
      const res = await postSigned(httpTarget, kind as HttpEnvelopeKind, payload, signOptions);
      return { ...base, ackAt: res.at, status: res.status, response: parseMaybeJson(res.body) };
    }
    const ack = await socket.dispatch(kind, payload, extra.retryNum);
    return { ...base, ackAt: ack.at, status: 200, response: ack.payload };
  }

  return {
    workspace,
    team: workspace.team,
    bot: workspace.bot,
    signingSecret,
    /** The Web API base for `api_url` (ends with /api/). */
    apiUrl: web.apiUrl,
    url: web.url,
    web,
    socket,
    /** Every Web API call, in order. */
    calls: web.calls,
    /** Messages the bot posted (updated in place), in order. */
    messages: workspace.messages,
    ephemerals: workspace.ephemerals,
    failNext: web.failNext,
    /** The Web API answers 503 to everything (Slack down) until up(). */
    down: () => web.setDown(true),
    up: () => web.setDown(false),
    addUser: workspace.addUser,
    onPosted: workspace.onPosted,
    addChannel: workspace.addChannel,
    /** HTTP mode: Slack POSTs signed requests to this URL (the app's /slack/events). */
    useHttp(targetUrl: string): void {
      httpTarget = targetUrl;
    },
    /** Socket Mode (the default): envelopes go over the WebSocket. */
    useSocket(): void {
      httpTarget = undefined;
    },
    /** A user's message in a DM or channel (a `message` event). */
    sendMessage(input: UserMessageInput): Promise<Delivered> {
      const { payload, ts } = build.message(input);
      return deliver('events_api', payload, { ts });
    },
    /** A user's @mention of the bot in a channel (an `app_mention` event). */
    mention(input: UserMessageInput): Promise<Delivered> {
      const { payload, ts } = build.mention(input);
      return deliver('events_api', payload, { ts });
    },
    /** The same event again, as Slack retries it (same event_id; X-Slack-Retry-Num / retry_attempt). */
    redeliver(previous: Delivered, retryNum = 1): Promise<Delivered> {
      return deliver(previous.kind, previous.payload, { ...(previous.ts ? { ts: previous.ts } : {}), retryNum });
    },
    /** Delivers a hand-made payload (malformed events). */
    deliverRaw(kind: EnvelopeType, payload: Record<string, unknown>): Promise<Delivered> {
      return deliver(kind, payload);
    },
    /** A user presses a button in one of the bot's messages. */
    click(input: ClickInput): Promise<Delivered> {
      return deliver('interactive', build.click(input));
    },
    /** A user runs a slash command. */
    slash(input: SlashInput): Promise<Delivered> {
      return deliver('slash_commands', build.slash(input));
    },
    /** Payload builders, for tests that post by hand (bad signatures, stale timestamps). */
    build,
    /** The bot's messages in a channel (and thread), in order. */
    postedIn(channel: string, threadTs?: string): BotMessage[] {
      return workspace.messages.filter((m) => m.channel === channel && (threadTs === undefined || m.threadTs === threadTs));
    },
    close: web.close,
  };
}

export type FakeSlack = Awaited<ReturnType<typeof startFakeSlack>>;

/** Polls until `probe` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
