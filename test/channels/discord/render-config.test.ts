// Discord rendering and config without a network: custom_ids carry only a decision letter and
// the opaque approval id (and refuse anything else), prompts stay under 2000 characters with a
// closed code block, decided prompts lose their buttons and say who and when, and the config
// refuses a literal token and non-snowflake guild ids.
import { describe, expect, it } from 'vitest';
import { discordConfigSchema } from '../../../channels/discord/config.js';
import { decodeCustomId, DISCORD_TEXT_LIMIT, encodeCustomId, renderPrompt, renderText } from '../../../channels/discord/render.js';
import type { ApprovalPrompt } from '../../../src/core/types.js';

const prompt = (over: Partial<ApprovalPrompt> = {}): ApprovalPrompt => ({
  approvalId: 'ap_1234abcd',
  summary: 'Run shell command',
  detail: 'rm -rf /tmp/x',
  securityLevel: 'high',
  approvers: ['discord:1'],
  expiresAt: new Date('2026-12-06T20:00:00Z'),
  options: ['approve', 'deny', 'allow_conversation'],
  ...over,
});

describe('Discord rendering', () => {
  it('round-trips custom_ids and refuses foreign ones', () => {
    expect(decodeCustomId(encodeCustomId('allow_conversation', 'ap_1')!)).toEqual({ decision: 'allow_conversation', approvalId: 'ap_1' });
    expect(decodeCustomId('ss:x:ap_1')).toBeUndefined();
    expect(decodeCustomId('ss:a:ap 1; drop')).toBeUndefined();
    expect(decodeCustomId('other:a:ap_1')).toBeUndefined();
    expect(encodeCustomId('approve', 'x'.repeat(200))).toBeUndefined();
  });

  it('keeps a huge prompt under the limit with its code block closed and its buttons', () => {
    const rendered = renderPrompt(prompt({ detail: 'x```y'.repeat(2_000) }));
    expect(rendered.content.length).toBeLessThanOrEqual(DISCORD_TEXT_LIMIT);
    expect(rendered.content.match(/```/g)).toHaveLength(2);
    expect(rendered.content).toContain('shortened for Discord');
    expect(rendered.components[0]!.components.map((b) => b.custom_id)).toEqual(['ss:a:ap_1234abcd', 'ss:d:ap_1234abcd', 'ss:c:ap_1234abcd']);
  });

  it('shows who decided and when, without buttons, once decided', () => {
    const rendered = renderPrompt(prompt({ outcome: { status: 'denied', by: 'discord:42', at: new Date('2026-12-06T19:00:00Z') } }));
    expect(rendered.components).toEqual([]);
    expect(rendered.content).toContain('Denied by discord:42 at 2026-12-06T19:00:00.000Z');
  });

  it('makes control and bidi characters in prompts visible', () => {
    expect(renderPrompt(prompt({ summary: 'evil\u202Etxt.exe' })).content).toContain('\\u{202e}');
  });

  it('cuts text the host failed to split', () => {
    expect(renderText('y'.repeat(2_500)).content.length).toBe(DISCORD_TEXT_LIMIT);
  });
});

describe('Discord config', () => {
  it('takes the documented section and fills defaults', () => {
    const parsed = discordConfigSchema.parse({ token: '${env:DISCORD_BOT_TOKEN}', access: 'allowlist', allow: ['123456789012345678'] });
    expect(parsed.api_url).toBe('https://discord.com/api');
    expect(parsed.guild_ids).toEqual([]);
  });

  it('refuses a literal token and a guild id that is not a snowflake', () => {
    expect(discordConfigSchema.safeParse({ token: 'MTIz.abc.def' }).success).toBe(false);
    expect(discordConfigSchema.safeParse({ token: '${env:T}', guild_ids: ['general'] }).success).toBe(false);
  });
});
