// What only one connection mode has: HTTP mode's request verification (bad signature, stale or
// future timestamp, url_verification, malformed bodies) and Socket Mode's reconnects (a refresh
// and a hard drop mid-conversation lose nothing and process nothing twice); plus the slash
// command, 429 Retry-After, formatting and a bad bot token, over real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { turns } from '../../fakes/ollama-server.js';
import { postSigned, waitFor } from '../../fakes/slack.js';
import { ALICE, ALICE_DM, GENERAL, startSlackGateway, type SlackGateway, type SlackMode } from './slack-gateway.js';

const running: SlackGateway[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

async function start(mode: SlackMode, section: Record<string, unknown> = {}, waitRunning = true, config: Record<string, unknown> = {}): Promise<SlackGateway> {
  const g = await startSlackGateway({ mode, section, waitRunning, config, env: { SLACK_WRONG_TOKEN: 'xoxb-revoked-token', SLACK_WRONG_APP_TOKEN: 'xapp-1-revoked-token' } });
  running.push(g);
  return g;
}

function storedInbound(g: SlackGateway): number {
  return (g.t.gateway.db.prepare('SELECT COUNT(*) AS n FROM channel_inbound').get() as { n: number }).n;
}

describe('Slack HTTP mode: request verification', () => {
  it('refuses a bad signature, a stale and a future timestamp (401) and stores nothing', async () => {
    const g = await start('http');
    const url = `${g.t.url}/slack/events`;
    const { payload } = g.slack.build.message({ user: ALICE, channel: ALICE_DM, text: 'forged' });
    const now = Math.floor(Date.now() / 1000);
    const forged = await postSigned(url, 'events_api', payload, { signingSecret: 'not-the-secret' });
    const stale = await postSigned(url, 'events_api', payload, { signingSecret: g.slack.signingSecret, timestamp: now - 6 * 60 });
    const future = await postSigned(url, 'events_api', payload, { signingSecret: g.slack.signingSecret, timestamp: now + 6 * 60 });
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    expect([forged.status, stale.status, future.status, unsigned.status]).toEqual([401, 401, 401, 401]);
    const click = g.slack.build.click({ user: ALICE, message: { channel: GENERAL, ts: '1.000001', text: 'x', updates: [], posted: { text: 'x' } }, actionId: 'ss_approve', value: 'apr_x' });
    expect((await postSigned(url, 'interactive', click, { signingSecret: 'not-the-secret' })).status).toBe(401);
    await g.settle();
    expect(storedInbound(g)).toBe(0);
    expect(g.t.fake.chatRequests).toHaveLength(0);
    expect(g.t.logs.filter((l) => l.includes('refused an unverified request'))).toHaveLength(5);
    // The same event, correctly signed and fresh, is taken.
    expect((await postSigned(url, 'events_api', payload, { signingSecret: g.slack.signingSecret })).status).toBe(200);
    await g.settle();
    expect(storedInbound(g)).toBe(1);
  });

  it('answers the url_verification challenge and drops a malformed body with a log line', async () => {
    const g = await start('http');
    const url = `${g.t.url}/slack/events`;
    const challenge = await postSigned(url, 'events_api', { token: 'x', challenge: 'c-123', type: 'url_verification' }, { signingSecret: g.slack.signingSecret });
    expect(challenge.status).toBe(200);
    expect(JSON.parse(challenge.body)).toEqual({ challenge: 'c-123' });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)), 'x-slack-signature': '' },
      body: '{not json',
    });
    expect(res.status).toBe(401);
    // Slack's SSL check of a slash command URL is unsigned and carries nothing: 200, no dispatch.
    const sslCheck = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'ssl_check=1&token=legacy' });
    expect(sslCheck.status).toBe(200);
    const signedGarbage = await postSigned(url, 'events_api', { event: 'not an object' } as never, { signingSecret: g.slack.signingSecret });
    expect(signedGarbage.status).toBe(200);
    const noUser = g.slack.build.message({ user: ALICE, channel: ALICE_DM, text: 'x' }).payload;
    delete (noUser.event as Record<string, unknown>).user;
    await postSigned(url, 'events_api', noUser, { signingSecret: g.slack.signingSecret });
    await g.settle();
    expect(storedInbound(g)).toBe(0);
    expect(g.t.logs.some((l) => l.includes('malformed platform event dropped') && l.includes('without channel, user or ts'))).toBe(true);
  });
});

describe('Slack Socket Mode: reconnects', () => {
  it('loses nothing and repeats nothing across a refresh and a hard drop mid-conversation', async () => {
    // The first turn's model is held across a reconnect; a loaded machine must not time it out.
    const g = await start('socket', {}, true, { provider: { timeout_ms: 60_000 } });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    g.t.fake.enqueue(async () => {
      await gate;
      return turns.text('answer one');
    });
    await g.slack.sendMessage({ user: ALICE, channel: ALICE_DM, text: 'one' });
    g.slack.socket.requestRefresh();
    // Sent while the app reconnects: Slack holds it until a socket is back.
    const two = g.slack.sendMessage({ user: ALICE, channel: ALICE_DM, text: 'two' });
    await two;
    release();
    // Delivered, then the link dies before the ack: Slack delivers it again after the reconnect.
    g.slack.socket.dropAfterNextSend();
    const three = await g.slack.sendMessage({ user: ALICE, channel: ALICE_DM, text: 'three' });
    await waitFor(() => g.slack.postedIn(ALICE_DM).length >= 3, 20_000, 'three replies');
    await g.settle();
    expect(g.slack.postedIn(ALICE_DM).map((m) => m.text)).toEqual(['answer one', expect.stringContaining('two'), expect.stringContaining('three')]);
    expect(g.slack.socket.connectionLog.filter((c) => c.event === 'open').length).toBeGreaterThanOrEqual(3);
    expect(g.slack.socket.acks.filter((a) => a.eventId === three.eventId)).toHaveLength(1);
    expect(g.t.fake.chatRequests.filter((r) => r.messages.at(-1)?.content.includes('three'))).toHaveLength(1);
    expect(g.health()).toMatchObject({ state: 'running', connected: true });
  });
});

describe('Slack Socket Mode: Slack down while the socket drops', () => {
  it('keeps trying to reconnect until Slack is back, then takes messages again', async () => {
    const g = await start('socket');
    g.slack.down();
    g.slack.socket.dropAll();
    await waitFor(() => g.slack.calls.some((c) => c.method === 'apps.connections.open' && c.status === 503), 20_000, 'a failed reconnect');
    expect(g.health()).toMatchObject({ connected: false });
    g.slack.up();
    await waitFor(() => g.slack.socket.connected(), 30_000, 'the socket back');
    await g.slack.sendMessage({ user: ALICE, channel: ALICE_DM, text: 'after the outage' });
    await waitFor(() => g.slack.postedIn(ALICE_DM)[0], 10_000, 'the reply');
    expect(g.health()).toMatchObject({ state: 'running', connected: true });
  }, 60_000);

  it('survives the app token being refused on reconnect (reported, retried), and reconnects once it is valid again', async () => {
    const g = await start('socket');
    const valid = g.slack.bot.appToken;
    g.slack.bot.appToken = 'xapp-1-rotated';
    g.slack.socket.dropAll();
    await waitFor(() => g.slack.calls.some((c) => c.method === 'apps.connections.open' && c.error === 'invalid_auth'), 20_000, 'a refused reconnect');
    await waitFor(() => /invalid_auth/.test(g.health()?.lastError ?? ''), 10_000, 'the error in health');
    expect(g.health()).toMatchObject({ connected: false });
    g.slack.bot.appToken = valid;
    await waitFor(() => g.slack.socket.connected(), 30_000, 'the socket back');
    await g.slack.sendMessage({ user: ALICE, channel: ALICE_DM, text: 'after the rotation' });
    await waitFor(() => g.slack.postedIn(ALICE_DM)[0], 10_000, 'the reply');
  }, 60_000);
});

describe.each<SlackMode>(['socket', 'http'])('Slack slash command and delivery (%s mode)', (mode) => {
  it('runs /securesphere ask, status, new and shows usage otherwise', async () => {
    const g = await start(mode);
    const ask = await g.slack.slash({ user: ALICE, channel: ALICE_DM, text: 'ask what is 2+2' });
    expect(ask.response).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Asked') });
    await waitFor(() => g.slack.postedIn(ALICE_DM)[0], 10_000, 'the answer');
    expect(g.slack.postedIn(ALICE_DM)[0]!.text).toContain('what is 2+2');
    const status = await g.slack.slash({ user: ALICE, channel: ALICE_DM, text: 'status' });
    expect(status.response).toMatchObject({ text: expect.stringContaining('Conversation') });
    const fresh = await g.slack.slash({ user: ALICE, channel: ALICE_DM, text: 'new' });
    expect(fresh.response).toMatchObject({ text: expect.stringContaining('new conversation') });
    const help = await g.slack.slash({ user: ALICE, channel: ALICE_DM, text: 'dance' });
    expect(help.response).toMatchObject({ text: expect.stringContaining('/securesphere ask') });
    // After `new`, the next turn starts without the earlier history.
    await g.slack.sendMessage({ user: ALICE, channel: ALICE_DM, text: 'after reset' });
    await g.settle();
    expect(g.t.fake.chatRequests.at(-1)!.messages.some((m) => m.content.includes('2+2'))).toBe(false);
  });

  it('asks to be invited before taking /securesphere ask in a channel the bot is not in', async () => {
    const g = await start(mode);
    g.slack.addChannel({ id: 'C0ELSEWHERE', name: 'elsewhere', isIm: false, isMember: false });
    const ask = await g.slack.slash({ user: ALICE, channel: 'C0ELSEWHERE', text: 'ask anything' });
    expect(ask.response).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('/invite') });
    const inGeneral = await g.slack.slash({ user: ALICE, channel: GENERAL, text: 'ask in general' });
    expect(inGeneral.response).toMatchObject({ text: expect.stringContaining('Asked') });
    await waitFor(() => g.slack.postedIn(GENERAL)[0], 10_000, 'the answer in general');
    await g.settle();
    expect(g.t.fake.chatRequests.filter((r) => r.messages.at(-1)?.content.includes('anything'))).toHaveLength(0);
  });

  it('waits as long as a 429 Retry-After asks, then delivers once; model text is escaped for mrkdwn', async () => {
    const g = await start(mode);
    g.t.fake.enqueue(turns.text('x < y & **bold** <!channel> `a<b`'));
    g.slack.failNext({ status: 429, retryAfterSeconds: 1 }, 'chat.postMessage');
    await g.slack.sendMessage({ user: ALICE, channel: ALICE_DM, text: 'format please' });
    await waitFor(() => g.slack.postedIn(ALICE_DM)[0], 15_000, 'the reply after the rate limit');
    const posts = g.slack.calls.filter((c) => c.method === 'chat.postMessage');
    expect(posts.map((p) => p.status)).toEqual([429, 200]);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(950);
    expect(g.slack.postedIn(ALICE_DM).map((m) => m.text)).toEqual(['x &lt; y &amp; *bold* &lt;!channel&gt; `a&lt;b`']);
  });
});

describe('Slack channel start-up', () => {
  it('reports a refused bot token in health and keeps the gateway running', async () => {
    const g = await start('socket', { bot_token: '${env:SLACK_WRONG_TOKEN}' }, false);
    await waitFor(() => g.health()?.state === 'failed', 10_000, 'the failed state');
    expect(g.health()!.lastError).toContain('invalid_auth');
    expect(g.health()!.lastError).not.toContain('xoxb-revoked-token');
    const health = await g.t.api('GET', '/api/health');
    expect(health.body.channels).toContainEqual(expect.objectContaining({ name: 'slack', state: 'failed', connected: false }));
    expect((await g.t.api('GET', '/api/approvals')).status).toBe(200);
  });

  it('HTTP mode answers 503 while the channel is not running, so Slack retries later; nothing is stored', async () => {
    const g = await start('http', { bot_token: '${env:SLACK_WRONG_TOKEN}' }, false);
    await waitFor(() => g.health()?.state === 'failed', 10_000, 'the failed state');
    const { payload } = g.slack.build.message({ user: ALICE, channel: ALICE_DM, text: 'too early' });
    const res = await postSigned(`${g.t.url}/slack/events`, 'events_api', payload, { signingSecret: g.slack.signingSecret });
    expect(res.status).toBe(503);
    expect(storedInbound(g)).toBe(0);
  });

  it('reports a refused app token (Socket Mode) in health and retries', async () => {
    const g = await start('socket', { app_token: '${env:SLACK_WRONG_APP_TOKEN}' }, false);
    await waitFor(() => g.health()?.state === 'failed', 10_000, 'the failed state');
    expect(g.health()!.lastError).toMatch(/Socket Mode did not connect.*invalid_auth/);
    const opens = () => g.slack.calls.filter((c) => c.method === 'apps.connections.open').length;
    await waitFor(() => opens() >= 2, 10_000, 'a second start attempt');
    expect(g.slack.socket.connected()).toBe(false);
  });
});
