// The Slack adapter's pure parts: mrkdwn escaping (model text can never form a mention, a link
// or <!channel>), Block Kit prompts (button values are only the approval id; a decided prompt
// has no buttons; a long command is shown whole across sections under Slack's 3000-character
// limit), reading events (threads, DMs, other workspaces' users, bots and edits ignored), the
// slash command's parsing, request verification and the config section's rules.
import { describe, expect, it } from 'vitest';
import { slackConfigSchema } from '../../../channels/slack/config.js';
import { parseSlashText } from '../../../channels/slack/commands.js';
import { verificationFailure } from '../../../channels/slack/http-route.js';
import { readEvent } from '../../../channels/slack/inbound.js';
import { renderPrompt, slackTextToPlain, toMrkdwn } from '../../../channels/slack/render.js';
import { createUserNames } from '../../../channels/slack/user-names.js';
import type { ApprovalPrompt } from '../../../src/core/types.js';
import { slackSignature } from '../../fakes/slack.js';

const info = { teamId: 'T0HOME', botUserId: 'U0BOT', botId: 'B0BOT' };

function prompt(overrides: Partial<ApprovalPrompt> = {}): ApprovalPrompt {
  return {
    approvalId: 'apr_abc123',
    summary: 'Delete <everything> & more',
    detail: 'rm -rf /workspace/secret-dir',
    securityLevel: 'high',
    approvers: ['slack:U0BOB', 'api:operator'],
    expiresAt: new Date('2026-12-06T20:00:00Z'),
    options: ['approve', 'deny', 'allow_conversation'],
    ...overrides,
  };
}

type Block = { type: string; text?: { text: string }; elements?: Array<{ action_id?: string; value?: string; text?: string | { text: string } }> };

describe('mrkdwn', () => {
  it('escapes &, < and > everywhere, keeps code, turns **bold** into *bold* outside code', () => {
    expect(toMrkdwn('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d');
    expect(toMrkdwn('<!channel> <@U0ADMIN> <https://evil.example|click>')).toBe('&lt;!channel&gt; &lt;@U0ADMIN&gt; &lt;https://evil.example|click&gt;');
    expect(toMrkdwn('**bold** and `**not** <x>`')).toBe('*bold* and `**not** &lt;x&gt;`');
    expect(toMrkdwn('```\nif (a < b) { **x** }\n```\n## Done')).toBe('```\nif (a &lt; b) { **x** }\n```\n*Done*');
  });

  it('reads Slack text back to plain text for the model', () => {
    expect(slackTextToPlain('<@U0BOT> look at <https://a.example/x|this> &amp; &lt;that&gt;', 'U0BOT')).toBe('look at this (https://a.example/x) & <that>');
  });
});

describe('Block Kit approval prompt', () => {
  it('shows summary, exact command, level, approvers and expiry, with opaque button values', () => {
    const { blocks, text } = renderPrompt(prompt());
    const all = JSON.stringify(blocks);
    expect(text).toBe('Approval needed: Delete &lt;everything&gt; &amp; more');
    expect(all).toContain('rm -rf /workspace/secret-dir');
    expect(all).toContain('*high*');
    expect(all).toContain('<@U0BOB>, api:operator');
    expect(all).toContain('<!date^1796587200^');
    const actions = (blocks as Block[]).find((b) => b.type === 'actions')!;
    expect(actions.elements!.map((e) => [e.action_id, e.value])).toEqual([
      ['ss_approve', 'apr_abc123'],
      ['ss_deny', 'apr_abc123'],
      ['ss_allow_conversation', 'apr_abc123'],
    ]);
  });

  it('offers only the options the step allows, and removes the buttons once decided', () => {
    const critical = renderPrompt(prompt({ options: ['approve', 'deny'] })).blocks as Block[];
    expect(critical.find((b) => b.type === 'actions')!.elements!.map((e) => e.action_id)).toEqual(['ss_approve', 'ss_deny']);
    const decided = renderPrompt(prompt({ outcome: { status: 'denied', by: 'slack:U0BOB', at: new Date('2026-12-06T19:30:00Z') } }));
    expect((decided.blocks as Block[]).some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(decided.blocks)).toContain('*Denied* by <@U0BOB> at <!date^1796585400^');
    expect(decided.text).toContain('(denied)');
  });

  it('shows a long command whole, across sections under Slack limits, and cannot close its code fence', () => {
    const detail = `${'x'.repeat(6000)}\`\`\`<!here>`;
    const blocks = renderPrompt(prompt({ detail })).blocks as Block[];
    const sections = blocks.filter((b) => b.type === 'section').slice(1);
    expect(sections.length).toBe(3);
    for (const s of sections) expect(s.text!.text.length).toBeLessThanOrEqual(3000);
    const shown = sections.map((s) => s.text!.text.slice(3, -3)).join('');
    expect(shown.replace(/\u200b/g, '')).toBe(`${'x'.repeat(6000)}\`\`\`&lt;!here&gt;`);
    expect(blocks.length).toBeLessThanOrEqual(50);
  });
});

describe('reading Slack events', () => {
  const base = { channel: 'C0GEN', user: 'U0ALICE', ts: '1700000000.000200', team: 'T0HOME' };

  it('a mention outside a thread starts one; inside a thread it belongs to that thread; a DM is direct', () => {
    const top = readEvent({ ...base, type: 'app_mention', text: '<@U0BOT> hi' }, info);
    expect(top).toMatchObject({ ok: true, message: { conversationId: 'C0GEN', threadId: base.ts, chatType: 'group', addressedToBot: true, text: 'hi', senderId: 'U0ALICE', platformMessageId: base.ts } });
    const inThread = readEvent({ ...base, type: 'app_mention', text: '<@U0BOT> more', thread_ts: '1699999999.000100' }, info);
    expect(inThread).toMatchObject({ ok: true, message: { threadId: '1699999999.000100' } });
    const dm = readEvent({ ...base, channel: 'D0ALICE', type: 'message', channel_type: 'im', text: 'hello' }, info);
    expect(dm).toMatchObject({ ok: true, message: { chatType: 'direct', addressedToBot: true } });
    expect(dm.ok && dm.message.threadId).toBeUndefined();
  });

  it('qualifies a user of another workspace with its team, so an allowlisted id cannot be borrowed', () => {
    const foreign = readEvent({ ...base, type: 'app_mention', text: '<@U0BOT> hi', team: 'T0OTHER' }, info);
    expect(foreign).toMatchObject({ ok: true, message: { senderId: 'T0OTHER:U0ALICE' } });
    const viaUserTeam = readEvent({ ...base, type: 'app_mention', text: '<@U0BOT> hi', user_team: 'T0OTHER', team: 'T0HOME' }, info);
    expect(viaUserTeam).toMatchObject({ ok: true, message: { senderId: 'T0OTHER:U0ALICE' } });
  });

  it('ignores bots, edits and the message twin of a mention; reports events without ids as malformed', () => {
    expect(readEvent({ ...base, type: 'message', channel_type: 'channel', text: 'x', bot_id: 'B0OTHER' }, info)).toMatchObject({ ok: false, malformed: false });
    expect(readEvent({ ...base, type: 'message', subtype: 'message_changed', text: 'x' }, info)).toMatchObject({ ok: false, malformed: false });
    expect(readEvent({ ...base, type: 'message', channel_type: 'channel', text: '<@U0BOT> hi' }, info)).toMatchObject({ ok: false, reason: 'mention handled by app_mention' });
    expect(readEvent({ ...base, type: 'message', channel_type: 'channel', text: 'chatter' }, info)).toMatchObject({ ok: true, message: { addressedToBot: false } });
    expect(readEvent({ type: 'message', channel: 'D0', text: 'x', ts: '1.1' }, info)).toMatchObject({ ok: false, malformed: true });
    expect(readEvent({ ...base, type: 'message', ts: 'not-a-ts', text: 'x' }, info)).toMatchObject({ ok: false, malformed: true });
  });
});

describe('slash command and request verification', () => {
  it('parses ask, status and new; anything else is help', () => {
    expect(parseSlashText('ask  what is up?\nline two')).toEqual({ kind: 'ask', text: 'what is up?\nline two' });
    expect(parseSlashText('STATUS')).toEqual({ kind: 'status' });
    expect(parseSlashText('new')).toEqual({ kind: 'new' });
    expect(parseSlashText('ask')).toEqual({ kind: 'help' });
    expect(parseSlashText('new please')).toEqual({ kind: 'help' });
    expect(parseSlashText('')).toEqual({ kind: 'help' });
  });

  it('verifies the v0 signature and a timestamp within 5 minutes either way', () => {
    const now = 1_800_000_000_000;
    const ts = String(now / 1000);
    const body = '{"type":"event_callback"}';
    const good = slackSignature('s3cret', Number(ts), body);
    expect(verificationFailure(body, good, ts, 's3cret', now)).toBeUndefined();
    expect(verificationFailure(body, good, ts, 'other', now)).toBe('signature mismatch');
    expect(verificationFailure(`${body} `, good, ts, 's3cret', now)).toBe('signature mismatch');
    expect(verificationFailure(body, good, ts, 's3cret', now + 301_000)).toMatch(/5 minutes/);
    expect(verificationFailure(body, good, ts, 's3cret', now - 301_000)).toMatch(/5 minutes/);
    expect(verificationFailure(body, undefined, ts, 's3cret', now)).toMatch(/missing/);
    expect(verificationFailure(body, good, 'soon', 's3cret', now)).toMatch(/missing/);
  });
});

describe('channels.slack config', () => {
  it('needs secret references, app_token in socket mode, signing_secret in http mode', () => {
    expect(slackConfigSchema.safeParse({ bot_token: 'xoxb-literal', app_token: '${env:A}' }).success).toBe(false);
    expect(slackConfigSchema.safeParse({ bot_token: '${env:B}' }).success).toBe(false);
    expect(slackConfigSchema.safeParse({ mode: 'http', bot_token: '${env:B}' }).success).toBe(false);
    const ok = slackConfigSchema.parse({ bot_token: '${env:B}', app_token: 'vault:slack_app', api_url: 'http://127.0.0.1:9/api' });
    expect(ok).toMatchObject({ mode: 'socket', api_url: 'http://127.0.0.1:9/api/', events_path: '/slack/events', slash_command: '/securesphere', access: 'pairing' });
  });
});

describe('user display names', () => {
  it('looks a user up once, answers with the id when the lookup is slow, and never keeps control characters', async () => {
    let release!: (name: string) => void;
    const lookups: string[] = [];
    const names = createUserNames({
      waitMs: 20,
      lookup: (user) => {
        lookups.push(user);
        return user === 'U0SLOW' ? new Promise<string>((r) => (release = r)) : Promise.resolve('ali\u0007ce\n');
      },
    });
    expect(await names.nameOf('U0ALICE')).toBe('alice');
    expect(await names.nameOf('U0ALICE')).toBe('alice');
    expect(await names.nameOf('U0SLOW')).toBe('U0SLOW');
    expect(await names.nameOf('U0SLOW')).toBe('U0SLOW');
    release('slowpoke');
    await new Promise((r) => setImmediate(r));
    expect(await names.nameOf('U0SLOW')).toBe('slowpoke');
    expect(lookups).toEqual(['U0ALICE', 'U0SLOW']);
  });
});
