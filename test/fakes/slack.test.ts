// The Slack stand-in, checked with Slack's own client libraries over real sockets: if
// @slack/web-api or @slack/socket-mode cannot talk to it, the adapter tests would prove nothing.
// Includes message metadata and the history reads the adapter uses to find its own replies.
import { verifySlackRequest } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import { ErrorCode, WebClient, type WebAPIHTTPError, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, waitFor, type FakeSlack } from './slack.js';

let fake: FakeSlack;
const quiet = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => 'error' as never, setName() {} };

beforeEach(async () => {
  fake = await startFakeSlack();
  fake.addUser({ id: 'U0ALICE', name: 'alice' });
  fake.addChannel({ id: 'C0GENERAL', name: 'general', isIm: false });
  fake.addChannel({ id: 'D0ALICE', name: 'alice', isIm: true });
});
afterEach(async () => {
  await fake.close();
});

function web(token = fake.bot.token, extra: Record<string, unknown> = {}): WebClient {
  return new WebClient(token, { slackApiUrl: fake.apiUrl, logger: quiet, retryConfig: { retries: 0 }, ...extra });
}

describe('Slack stand-in: Web API with @slack/web-api', () => {
  it('answers auth.test for the bot token and invalid_auth for any other', async () => {
    const me = await web().auth.test();
    expect(me).toMatchObject({ ok: true, team_id: fake.team.id, user_id: fake.bot.userId, bot_id: fake.bot.botId });
    const err = (await web('xoxb-wrong').auth.test().catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(err.code).toBe(ErrorCode.PlatformError);
    expect(err.data.error).toBe('invalid_auth');
  });

  it('posts, updates and posts ephemerally with the form bodies the client sends', async () => {
    const blocks = [{ type: 'actions', elements: [{ type: 'button', action_id: 'go', value: 'opaque-1', text: { type: 'plain_text', text: 'Go' } }] }];
    const posted = await web().chat.postMessage({ channel: 'C0GENERAL', text: 'hello & <you>', blocks, thread_ts: '1.000001' });
    expect(fake.calls.at(-1)!.contentType).toContain('application/x-www-form-urlencoded');
    expect(fake.messages).toEqual([{ channel: 'C0GENERAL', ts: posted.ts, threadTs: '1.000001', text: 'hello & <you>', blocks, updates: [], posted: { text: 'hello & <you>', blocks } }]);
    await web().chat.update({ channel: 'C0GENERAL', ts: posted.ts!, text: 'decided' });
    expect(fake.messages[0]).toMatchObject({ text: 'decided', updates: [{ text: 'decided' }] });
    expect(fake.messages[0]!.blocks).toBeUndefined();
    await web().chat.postEphemeral({ channel: 'C0GENERAL', user: 'U0ALICE', text: 'only you' });
    expect(fake.ephemerals).toEqual([{ channel: 'C0GENERAL', user: 'U0ALICE', text: 'only you' }]);
    const missing = (await web().chat.update({ channel: 'C0GENERAL', ts: '9.9', text: 'x' }).catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(missing.data.error).toBe('message_not_found');
    const nowhere = (await web().chat.postMessage({ channel: 'C0NOPE', text: 'x' }).catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(nowhere.data.error).toBe('channel_not_found');
  });

  it('reads users and conversations, and accepts JSON bodies with a bearer token', async () => {
    expect((await web().users.info({ user: 'U0ALICE' })).user).toMatchObject({ id: 'U0ALICE', team_id: fake.team.id, name: 'alice' });
    expect((await web().conversations.info({ channel: 'D0ALICE' })).channel).toMatchObject({ id: 'D0ALICE', is_im: true });
    const res = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.bot.token}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'D0ALICE', text: 'json body' }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'D0ALICE' });
    expect(fake.messages.at(-1)!.text).toBe('json body');
  });

  it('keeps message metadata and reads history back: newest first, a time window, threads apart, metadata only when asked', async () => {
    const client = web();
    const metadata = { event_type: 'securesphere_reply', event_payload: { delivery: 'k1' } };
    const parent = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'parent', metadata });
    const reply = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'reply', thread_ts: parent.ts!, metadata: { event_type: 'securesphere_reply', event_payload: { delivery: 'k2' } } });
    const later = await client.chat.postMessage({ channel: 'C0GENERAL', text: 'later' });
    const history = await client.conversations.history({ channel: 'C0GENERAL', include_all_metadata: true });
    expect(history.messages!.map((m) => m.text)).toEqual(['later', 'parent']);
    expect(history.messages![1]!.metadata).toEqual(metadata);
    expect((await client.conversations.history({ channel: 'C0GENERAL' })).messages!.every((m) => m.metadata === undefined)).toBe(true);
    expect((await client.conversations.history({ channel: 'C0GENERAL', oldest: parent.ts! })).messages!.map((m) => m.text)).toEqual(['later']);
    const thread = await client.conversations.replies({ channel: 'C0GENERAL', ts: parent.ts!, include_all_metadata: true });
    expect(thread.messages!.map((m) => [m.ts, m.metadata?.event_payload])).toEqual([
      [parent.ts, { delivery: 'k1' }],
      [reply.ts, { delivery: 'k2' }],
    ]);
    expect(later.ts! > reply.ts!).toBe(true);
    const bad = (await client.chat.postMessage({ channel: 'C0GENERAL', text: 'x', metadata: { event_type: 'x' } as never }).catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(bad.data.error).toBe('invalid_metadata_format');
  });

  it('answers 429 with Retry-After and 5xx when told to', async () => {
    fake.failNext({ status: 429, retryAfterSeconds: 7 }, 'chat.postMessage');
    const limited = (await web(fake.bot.token, { rejectRateLimitedCalls: true }).chat.postMessage({ channel: 'C0GENERAL', text: 'x' }).catch((e: unknown) => e)) as WebAPIRateLimitedError;
    expect(limited.code).toBe(ErrorCode.RateLimitedError);
    expect(limited.retryAfter).toBe(7);
    fake.failNext({ status: 503 });
    const down = (await web().chat.postMessage({ channel: 'C0GENERAL', text: 'x' }).catch((e: unknown) => e)) as WebAPIHTTPError;
    expect(down.code).toBe(ErrorCode.HTTPError);
    expect(down.statusCode).toBe(503);
    fake.down();
    const unreachable = (await web().auth.test().catch((e: unknown) => e)) as WebAPIHTTPError;
    expect(unreachable.statusCode).toBe(503);
    fake.up();
    const seen: string[] = [];
    fake.onPosted((m) => seen.push(m.text));
    await web().chat.postMessage({ channel: 'C0GENERAL', text: 'after' });
    expect(fake.messages.map((m) => m.text)).toEqual(['after']);
    expect(seen).toEqual(['after']);
  });
});

describe('Slack stand-in: Socket Mode with @slack/socket-mode', () => {
  function client(appToken = fake.bot.appToken): SocketModeClient {
    return new SocketModeClient({ appToken, logger: quiet, clientPingTimeout: 1500, clientOptions: { slackApiUrl: fake.apiUrl } });
  }

  it('hands out a ws:// URL, says hello, and records acks by envelope id', async () => {
    const sm = client();
    const seen: string[] = [];
    sm.on('app_mention', async ({ event, ack }: { event: { text: string }; ack: () => Promise<void> }) => {
      seen.push(event.text);
      await ack();
    });
    await sm.start();
    const delivered = await fake.mention({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'hi' });
    expect(seen).toEqual([`<@${fake.bot.userId}> hi`]);
    expect(fake.socket.acks).toHaveLength(1);
    expect(fake.socket.acks[0]).toMatchObject({ type: 'events_api', eventId: delivered.eventId });
    expect(fake.calls.find((c) => c.method === 'apps.connections.open')).toBeDefined();
    await sm.disconnect();
  });

  it('refuses a wrong app token', async () => {
    const sm = new SocketModeClient({ appToken: 'xapp-wrong', logger: quiet, autoReconnectEnabled: false, clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } } });
    await expect(sm.start()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
  });

  it('redelivers an unacknowledged event after a refresh and after a hard drop', async () => {
    const sm = client();
    const attempts: Array<number | undefined> = [];
    let ackNow = false;
    sm.on('slack_event', async ({ ack, retry_num }: { ack: () => Promise<void>; retry_num?: number }) => {
      attempts.push(retry_num);
      if (ackNow) await ack();
    });
    await sm.start();
    const first = fake.sendMessage({ user: 'U0ALICE', channel: 'D0ALICE', text: 'one' });
    await waitFor(() => attempts.length === 1, 5_000, 'first delivery');
    fake.socket.requestRefresh();
    await waitFor(() => attempts.length === 2, 10_000, 'redelivery after refresh');
    fake.socket.dropAll();
    ackNow = true;
    const ack = await first;
    expect(attempts).toEqual([undefined, 1, 2]);
    expect(fake.socket.acks.map((a) => a.eventId)).toEqual([ack.eventId]);
    expect(fake.socket.connectionLog.filter((c) => c.event === 'open').length).toBe(3);
    await sm.disconnect();
  });

  it('carries slash command ack payloads back', async () => {
    const sm = client();
    sm.on('slash_commands', async ({ ack }: { ack: (body: unknown) => Promise<void> }) => ack({ text: 'pong' }));
    await sm.start();
    const delivered = await fake.slash({ user: 'U0ALICE', channel: 'D0ALICE', text: 'status' });
    expect(delivered.response).toEqual({ text: 'pong' });
    await sm.disconnect();
  });
});

describe('Slack stand-in: HTTP mode signing', () => {
  it('signs requests that Bolt verifies, with retry headers on redelivery', async () => {
    const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    fake.useHttp(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`);
    const first = await fake.mention({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'hi' });
    await fake.redeliver(first, 2);
    await fake.click({ user: 'U0ALICE', message: { channel: 'C0GENERAL', ts: '1.000001', text: 'x', updates: [], posted: { text: 'x' } }, actionId: 'go', value: 'v' });
    server.close();
    for (const r of received) {
      const headers = { 'x-slack-signature': String(r.headers['x-slack-signature']), 'x-slack-request-timestamp': Number(r.headers['x-slack-request-timestamp']) };
      expect(() => verifySlackRequest({ signingSecret: fake.signingSecret, body: r.body, headers })).not.toThrow();
      expect(() => verifySlackRequest({ signingSecret: 'another-secret', body: r.body, headers })).toThrow();
    }
    expect(received[1]!.headers['x-slack-retry-num']).toBe('2');
    expect(JSON.parse(received[1]!.body).event_id).toBe(first.eventId);
    expect(received[2]!.body.startsWith('payload=')).toBe(true);
  });
});
