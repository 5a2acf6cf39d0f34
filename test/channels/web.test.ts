// The web channel over real HTTP: the public page with a strict CSP, token-protected data
// routes, messages into the gateway, replies and approval prompts out over server-sent events,
// button decisions into ctx.decide, and malformed requests refused without harm.
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors.js';
import type { ApprovalPrompt } from '../../src/core/types.js';
import { createConversationFeeds } from '../../channels/web/feed.js';
import { PAGE_SCRIPT } from '../../channels/web/page/script.js';
import { authed, postJson, readEvents, startWebHarness, type WebHarness } from './web-helpers.js';

/** fetch normalizes some paths; node:http sends the path byte for byte. */
function rawPost(base: string, path: string, body: unknown): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function prompt(outcome?: ApprovalPrompt['outcome']): ApprovalPrompt {
  return {
    approvalId: 'apr_123',
    summary: 'shell.run needs approval (high), requested by web:operator',
    detail: 'shell.run with arguments:\n{"cmd":"rm -rf /tmp/x"}',
    securityLevel: 'high',
    approvers: ['web:operator'],
    expiresAt: new Date('2030-01-01T00:00:00Z'),
    options: ['approve', 'deny', 'allow_conversation'],
    ...(outcome ? { outcome } : {}),
  };
}

describe('web channel over HTTP', () => {
  let h: WebHarness;
  beforeEach(async () => {
    h = await startWebHarness({ heartbeatMs: 60_000 });
  });
  afterEach(async () => {
    await h.close();
  });

  it('serves the page publicly with a strict CSP and no inline script or style', async () => {
    const res = await fetch(`${h.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain('id="login-form"');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script has a src
    expect(html).not.toMatch(/<style|style="|\son\w+=/); // no inline style or handlers
    const js = await fetch(`${h.url}/web/app.js`);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(await js.text()).toBe(PAGE_SCRIPT);
    expect(() => new Function(PAGE_SCRIPT)).not.toThrow(); // the shipped script parses
    expect(PAGE_SCRIPT).not.toContain('innerHTML');
    expect((await fetch(`${h.url}/web/app.css`)).headers.get('content-type')).toContain('text/css');
  });

  it('keeps the data routes behind the bearer token', async () => {
    expect((await postJson(`${h.url}/api/web/messages`, { conversation_id: 'c1', text: 'hi' }, {})).status).toBe(401);
    expect((await postJson(`${h.url}/api/web/messages`, { conversation_id: 'c1', text: 'hi' }, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await fetch(`${h.url}/api/web/events?conversation_id=c1`)).status).toBe(401);
    expect((await postJson(`${h.url}/api/web/approvals`, { approval_id: 'a', decision: 'approve' }, {})).status).toBe(401);
    // Percent-encoded paths route to the same handlers; they must not skip the token check.
    for (const path of ['/%61pi/web/messages', '/ap%69/web/messages', '/api/w%65b/messages']) {
      const status = await rawPost(h.url, path, { conversation_id: 'c1', text: 'hi' });
      expect(status, path).toBe(401);
    }
    expect(h.received).toHaveLength(0);
    expect(h.decisions).toHaveLength(0);
  });

  it('hands a message to the gateway and streams the echo and the reply back', async () => {
    h.onReceive = async (m) => {
      await h.channel.deliver({ deliveryId: '1', address: { conversationId: m.conversationId }, text: `You said: ${m.text}` });
    };
    const stream = await fetch(`${h.url}/api/web/events?conversation_id=conv-1`, { headers: authed() });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const events = readEvents(stream);

    const res = await postJson(`${h.url}/api/web/messages`, { conversation_id: 'conv-1', text: 'hello <b>there</b>', client_message_id: 'wc_1' });
    expect(res.status).toBe(202);
    expect(h.received).toHaveLength(1);
    expect(h.received[0]).toMatchObject({
      chatType: 'direct',
      conversationId: 'conv-1',
      senderId: 'operator',
      text: 'hello <b>there</b>',
      platformMessageId: 'wc_1',
    });
    const [echo, reply] = await events.next(2);
    expect(echo!.data).toMatchObject({ from: 'user', text: 'hello <b>there</b>', id: 'wc_1' });
    expect(reply!.data).toMatchObject({ from: 'bot', text: 'You said: hello <b>there</b>' });
    expect(Number(reply!.id)).toBeGreaterThan(Number(echo!.id));
    await events.cancel();

    // A reconnect with after=<last seen> gets only what came later.
    await h.channel.deliver({ deliveryId: '2', address: { conversationId: 'conv-1' }, text: 'later' });
    const again = readEvents(await fetch(`${h.url}/api/web/events?conversation_id=conv-1&after=${reply!.id}`, { headers: authed() }));
    const [later] = await again.next(1);
    expect(later!.data.text).toBe('later');
    await again.cancel();
  });

  it('renders approval prompts as events, updates them in place, and sends button decisions to ctx.decide', async () => {
    const events = readEvents(await fetch(`${h.url}/api/web/events?conversation_id=conv-2`, { headers: authed() }));
    const { platformMessageId: platformId } = await h.channel.deliver({ deliveryId: '3', address: { conversationId: 'conv-2' }, text: 'Approve?', approval: prompt() });
    const [shown] = await events.next(1);
    expect(shown!.data.id).toBe(platformId);
    expect(shown!.data.approval).toMatchObject({
      approval_id: 'apr_123',
      security_level: 'high',
      options: ['approve', 'deny', 'allow_conversation'],
      expires_at: '2030-01-01T00:00:00.000Z',
    });

    const ok = await postJson(`${h.url}/api/web/approvals`, { approval_id: 'apr_123', decision: 'allow_conversation' });
    expect(ok.status).toBe(200);
    expect(h.decisions).toEqual([{ approvalId: 'apr_123', decision: 'allow_conversation', userId: 'operator' }]);

    await h.channel.edit(platformId, {
      deliveryId: '4',
      address: { conversationId: 'conv-2' },
      text: 'Approved',
      approval: prompt({ status: 'approved', by: 'web:operator', at: new Date('2029-01-01T00:00:00Z') }),
    });
    const [update] = await events.next(1);
    expect(update!.data.replaces).toBe(platformId);
    expect(update!.data.approval).toMatchObject({ outcome: { status: 'approved', by: 'web:operator' } });
    await events.cancel();
  });

  it('passes gateway refusals through as clear 4xx answers', async () => {
    const refusals = [
      ['not_an_approver', 403, ERROR_CODES.APPROVAL_NOT_ALLOWED],
      ['already_decided', 409, ERROR_CODES.APPROVAL_ALREADY_DECIDED],
      ['not_found', 404, ERROR_CODES.APPROVAL_NOT_FOUND],
    ] as const;
    for (const [reason, status, code] of refusals) {
      h.onDecide = async (input) => ({ status: 'refused', approvalId: input.approvalId, reason, message: `web:operator may not decide approval apr_9 (${reason}).` });
      const res = await postJson(`${h.url}/api/web/approvals`, { approval_id: 'apr_9', decision: 'approve' });
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error).toMatchObject({ code, message: expect.stringContaining(reason) });
    }
    // A refused message (rate limit, access) is a clear 4xx too, not a silent 202.
    h.onReceive = async () => ({ status: 'refused', reason: 'rate_limited', message: 'Please wait 3 s.' });
    const limited = await postJson(`${h.url}/api/web/messages`, { conversation_id: 'c', text: 'hi' });
    expect(limited.status).toBe(429);
  });

  it('refuses malformed page requests with 400, logs them, and keeps serving', async () => {
    const bad: Array<[string, unknown]> = [
      ['/api/web/messages', '{not json'],
      ['/api/web/messages', { conversation_id: '../etc', text: 'x' }],
      ['/api/web/messages', { conversation_id: 'c', text: '   ' }],
      ['/api/web/messages', { conversation_id: 'c', text: 'x'.repeat(16_001) }],
      ['/api/web/messages', { conversation_id: 'c', text: 'x', sender_id: 'admin' }],
      ['/api/web/messages', [1, 2]],
      ['/api/web/approvals', { approval_id: 'apr_1', decision: 'approve', user_id: 'admin' }],
      ['/api/web/approvals', { approval_id: 'apr_1', decision: 'yes' }],
      ['/api/web/approvals', { approval_id: '__proto__ x', decision: 'deny' }],
    ];
    for (const [path, body] of bad) {
      const res = await postJson(`${h.url}${path}`, body);
      expect(res.status, `${path} ${JSON.stringify(body).slice(0, 60)}`).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(ERROR_CODES.BAD_REQUEST);
    }
    expect((await fetch(`${h.url}/api/web/events?conversation_id=a%20b`, { headers: authed() })).status).toBe(400);
    expect((await fetch(`${h.url}/api/web/events?conversation_id=ok&after=-1`, { headers: authed() })).status).toBe(400);
    expect(h.received).toHaveLength(0);
    expect(h.decisions).toHaveLength(0);
    expect(h.logs.some((l) => l.includes('web channel rejected a request'))).toBe(true);
    expect((await postJson(`${h.url}/api/web/messages`, { conversation_id: 'c', text: 'still fine' })).status).toBe(202);
  });

  it('answers 503 when the channel is stopped, and app.close() ends open streams', async () => {
    const events = readEvents(await fetch(`${h.url}/api/web/events?conversation_id=conv-3`, { headers: authed() }));
    await h.channel.stop();
    await expect(events.next(1)).rejects.toThrow(/stream ended/);
    const res = await postJson(`${h.url}/api/web/messages`, { conversation_id: 'c', text: 'hi' });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(ERROR_CODES.CHANNEL_UNAVAILABLE);
  });

  it('limits open streams per conversation', async () => {
    await h.close();
    h = await startWebHarness({ heartbeatMs: 60_000, maxStreamsPerConversation: 1 });
    const first = await fetch(`${h.url}/api/web/events?conversation_id=busy`, { headers: authed() });
    expect(first.status).toBe(200);
    const second = await fetch(`${h.url}/api/web/events?conversation_id=busy`, { headers: authed() });
    expect(second.status).toBe(429);
    await first.body!.cancel();
  });

  it('keeps event numbers growing across a restart, so a resuming page misses nothing', async () => {
    const before = createConversationFeeds().append('c', { id: 'a', from: 'bot', text: 'old', time: new Date().toISOString() });
    await new Promise((r) => setTimeout(r, 5));
    const restarted = createConversationFeeds();
    restarted.append('c', { id: 'b', from: 'bot', text: 'new', time: new Date().toISOString() });
    expect(restarted.since('c', before.seq).map((e) => e.text)).toEqual(['new']);
  });
});
