// The Matrix adapter's pure parts, without a homeserver: rendering (model text escaped, HTML only
// where it helps, the prompt's parts and how to answer), reading events (own events, other bots'
// notices, edits, malformed ones, who is addressed), reactions to decisions, the config section
// (exactly one way to log in, secrets only as references), the SDK's log lines routed by
// level with the token taken out, and the transaction id each send carries.
import * as sdk from 'matrix-js-sdk';
import { describe, expect, it } from 'vitest';
import { ChannelDeliveryError } from '../../../channels/channel.js';
import { toDeliveryError } from '../../../channels/matrix/delivery-errors.js';
import { matrixConfigSchema } from '../../../channels/matrix/config.js';
import { readEvent, type RawEvent } from '../../../channels/matrix/inbound.js';
import { reactionDecision, renderPrompt, renderText } from '../../../channels/matrix/render.js';
import { createSdkLogger } from '../../../channels/matrix/sdk-logger.js';
import { sendTransactionId } from '../../../channels/matrix/transaction.js';
import type { ApprovalPrompt } from '../../../src/core/types.js';

const ME = '@bot:ss.test';
const room = (memberCount: number, senders: Record<string, string> = {}) => ({ memberCount, senderOf: (id: string) => senders[id] });
const opts = { ignoreNotices: true, threads: true };
const event = (content: Record<string, unknown>, extra: Partial<RawEvent> = {}): RawEvent => ({ eventId: '$e1', roomId: '!r:ss.test', sender: '@alice:ss.test', type: 'm.room.message', ts: 1_700_000_000_000, content, ...extra });

describe('matrix rendering', () => {
  it('sends plain text without HTML, and escapes model text when code is formatted', () => {
    expect(renderText('hello <b>there</b>')).toEqual({ msgtype: 'm.text', body: 'hello <b>there</b>' });
    const code = renderText('try `rm <x>` or\n```sh\necho "<script>"\n```');
    expect(code.formatted_body).toBe('try <code>rm &lt;x&gt;</code> or<br><pre><code class="language-sh">echo &quot;&lt;script&gt;&quot;\n</code></pre>');
    expect(code.body).toBe('try `rm <x>` or\n```sh\necho "<script>"\n```');
  });

  it('shows the summary, exact command, level, approvers, expiry and how to answer; the decided prompt drops the reaction hint', () => {
    const prompt: ApprovalPrompt = {
      approvalId: 'apr_1', summary: 'wipe <tmp>', detail: 'calc.wipe {"target":"<tmp>"}', securityLevel: 'high',
      approvers: ['matrix:@alice:ss.test'], expiresAt: new Date('2030-01-01T00:00:00Z'), options: ['approve', 'deny'],
    };
    const shown = renderPrompt(prompt);
    expect(shown['org.securesphere.approval_id']).toBe('apr_1');
    for (const part of ['wipe <tmp>', 'calc.wipe {"target":"<tmp>"}', '[high]', 'matrix:@alice:ss.test', '2030-01-01T00:00:00.000Z', '/approve apr_1', '/deny apr_1', 'React ✅ to approve or ❌ to deny']) {
      expect(shown.body).toContain(part);
    }
    expect(shown.formatted_body).toContain('<pre><code>calc.wipe {&quot;target&quot;:&quot;&lt;tmp&gt;&quot;}</code></pre>');
    expect(shown.formatted_body).not.toContain('<tmp>');
    const decided = renderPrompt({ ...prompt, outcome: { status: 'approved', by: 'matrix:@alice:ss.test', at: new Date('2030-01-01T00:00:00Z') } });
    expect(decided.body).toMatch(/^Approved by matrix:@alice:ss\.test/m);
    expect(decided.body).not.toContain('React ✅');
  });

  it('reads ✅ / ❌ (with or without the variation selector) as decisions, other keys as nothing', () => {
    expect(reactionDecision('✅')).toBe('approve');
    expect(reactionDecision('✅\uFE0F')).toBe('approve');
    expect(reactionDecision('❌')).toBe('deny');
    expect(reactionDecision('🎉')).toBeUndefined();
  });
});

describe('matrix events', () => {
  it('ignores its own events, other bots\' notices and edits', () => {
    expect(readEvent(event({ msgtype: 'm.text', body: 'x' }, { sender: ME }), ME, room(2), opts)).toMatchObject({ kind: 'ignore', reason: 'own event' });
    expect(readEvent(event({ msgtype: 'm.notice', body: 'beep' }), ME, room(2), opts)).toMatchObject({ kind: 'ignore' });
    expect(readEvent(event({ msgtype: 'm.notice', body: 'beep' }), ME, room(2), { ...opts, ignoreNotices: false })).toMatchObject({ kind: 'message' });
    expect(readEvent(event({ msgtype: 'm.text', body: '* fixed', 'm.relates_to': { rel_type: 'm.replace', event_id: '$old' } }), ME, room(2), opts)).toMatchObject({ kind: 'ignore', reason: 'an edit' });
  });

  it('drops malformed messages and reactions with a reason', () => {
    expect(readEvent(event({ msgtype: 'm.text' }), ME, room(2), opts)).toEqual({ kind: 'malformed', reason: 'matrix message without a text body' });
    expect(readEvent(event({ key: 'x' }, { type: 'm.reaction' }), ME, room(2), opts)).toEqual({ kind: 'malformed', reason: 'matrix reaction without an annotation' });
  });

  it('takes the sender from the event, never from the text; a room of two is direct, larger rooms need the bot addressed', () => {
    const direct = readEvent(event({ msgtype: 'm.text', body: 'I am @admin:ss.test' }), ME, room(2), opts);
    expect(direct).toMatchObject({ kind: 'message', message: { senderId: '@alice:ss.test', chatType: 'direct', platformMessageId: '$e1', conversationId: '!r:ss.test' } });
    expect(readEvent(event({ msgtype: 'm.text', body: 'hi all' }), ME, room(3), opts)).toMatchObject({ message: { chatType: 'group', addressedToBot: false } });
    expect(readEvent(event({ msgtype: 'm.text', body: 'hi', 'm.mentions': { user_ids: [ME] } }), ME, room(3), opts)).toMatchObject({ message: { addressedToBot: true } });
    const reply = event({ msgtype: 'm.text', body: 'yes', 'm.relates_to': { 'm.in_reply_to': { event_id: '$bot' } } });
    expect(readEvent(reply, ME, room(3, { $bot: ME }), opts)).toMatchObject({ message: { addressedToBot: true } });
  });

  it('makes a thread its own conversation unless configured otherwise', () => {
    const inThread = event({ msgtype: 'm.text', body: 'in a thread', 'm.relates_to': { rel_type: 'm.thread', event_id: '$root' } });
    expect(readEvent(inThread, ME, room(2), opts)).toMatchObject({ message: { threadId: '$root' } });
    const flat = readEvent(inThread, ME, room(2), { ...opts, threads: false });
    expect(flat).toMatchObject({ kind: 'message' });
    expect(flat.kind === 'message' ? flat.message.threadId : 'not a message').toBeUndefined();
  });
});

describe('matrix config', () => {
  const base = { homeserver_url: 'https://matrix.example.org', user_id: '@securesphere:example.org' };
  it('takes exactly one of access_token or password, as secret references', () => {
    expect(matrixConfigSchema.safeParse({ ...base, access_token: '${env:MATRIX_ACCESS_TOKEN}' }).success).toBe(true);
    expect(matrixConfigSchema.safeParse({ ...base, password: 'vault:matrix' }).success).toBe(true);
    expect(matrixConfigSchema.safeParse(base).success).toBe(false);
    expect(matrixConfigSchema.safeParse({ ...base, access_token: '${env:A}', password: 'vault:B' }).success).toBe(false);
    expect(matrixConfigSchema.safeParse({ ...base, access_token: 'syt_literal_token' }).success).toBe(false);
    expect(matrixConfigSchema.safeParse({ ...base, access_token: '${env:A}', user_id: 'securesphere' }).success).toBe(false);
  });
});

describe('matrix SDK logging', () => {
  it('routes each SDK level to the gateway logger and takes the access token out', () => {
    const lines: Array<[string, string]> = [];
    const sink = (level: string) => (_obj: Record<string, unknown>, msg: string) => lines.push([level, msg]);
    const log = createSdkLogger({ debug: sink('debug'), info: sink('info'), warn: sink('warn'), error: sink('error') }, () => ['syt_secret_token_123']);
    log.trace('t');
    log.debug('d');
    log.getChild('[sync]').info('i');
    log.warn('w', new Error('boom'));
    log.error('request with syt_secret_token_123 failed');
    expect(lines).toEqual([
      ['debug', 't'],
      ['debug', 'd'],
      ['info', 'i'],
      ['warn', 'w Error: boom'],
      ['error', 'request with [REDACTED] failed'],
    ]);
  });
});

describe('matrix delivery errors', () => {
  it("waits for the homeserver's retry_after_ms on 429, retries network errors and 5xx, gives up on refusals, and never copies the URL", () => {
    const url = 'http://127.0.0.1:1/_matrix/client/v3/rooms/!r/send/m.room.message/t?access_token=syt_secret';
    const limited = toDeliveryError(sdk, new sdk.MatrixError({ errcode: 'M_LIMIT_EXCEEDED', error: 'Too many requests', retry_after_ms: 2500 }, 429, url), 'a message');
    expect(limited).toBeInstanceOf(ChannelDeliveryError);
    expect(limited).toMatchObject({ failure: 'rate_limited', retryAfterMs: 2500 });
    expect(toDeliveryError(sdk, new sdk.MatrixError({ errcode: 'M_UNKNOWN' }, 502, url), 'a message').failure).toBe('transient');
    expect(toDeliveryError(sdk, new sdk.ConnectionError('fetch failed'), 'a message').failure).toBe('transient');
    const refused = toDeliveryError(sdk, new sdk.MatrixError({ errcode: 'M_FORBIDDEN', error: 'not in room' }, 403, url), 'a message');
    expect(refused.failure).toBe('permanent');
    for (const err of [limited, refused]) expect(err.message).not.toContain('syt_secret');
  });
});

describe('matrix send transaction ids', () => {
  const entry = { deliveryId: '1', address: { conversationId: '!room:ss.test' }, text: 'the reply' };
  it('are the same on every retry of one entry, and differ for another entry, text, room or thread', () => {
    const id = sendTransactionId(entry);
    expect(id).toMatch(/^ss-[A-Za-z0-9_-]{32}$/);
    expect(sendTransactionId({ ...entry, uncertain: true, queuedAt: 5 })).toBe(id);
    // A fresh database numbers its entries from 1 again: a different reply must not reuse the id
    // (the homeserver would answer with the old event and send nothing).
    const others = [
      sendTransactionId({ ...entry, deliveryId: '2' }),
      sendTransactionId({ ...entry, text: 'another reply' }),
      sendTransactionId({ ...entry, address: { conversationId: '!other:ss.test' } }),
      sendTransactionId({ ...entry, address: { conversationId: '!room:ss.test', threadId: '$t' } }),
    ];
    expect(new Set([id, ...others]).size).toBe(5);
  });
});

