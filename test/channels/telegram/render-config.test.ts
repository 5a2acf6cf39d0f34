// The Telegram channel's pure parts: its config section (a literal token is refused, webhook
// mode needs a URL, the API root has no trailing slash) and its rendering (HTML escaping that
// the Bot API stand-in's HTML parser accepts verbatim, callback data that round-trips and never
// exceeds Telegram's 64 bytes, prompts that stay under 4096 visible characters).
import { describe, expect, it } from 'vitest';
import { telegramConfigSchema } from '../../../channels/telegram/config.js';
import { decodeCallbackData, encodeCallbackData, escapeHtml, renderPrompt, TELEGRAM_TEXT_LIMIT } from '../../../channels/telegram/render.js';
import { parseHtml } from '../../fakes/telegram-html.js';

const prompt = {
  approvalId: 'apr_mf3k2x1a9b8c7d6e5f4a3b2c',
  summary: 'shell.run needs approval (critical), requested by telegram:1',
  detail: 'x',
  securityLevel: 'critical' as const,
  approvers: [],
  expiresAt: new Date('2030-01-01T00:00:00Z'),
  options: ['approve' as const, 'deny' as const],
};

describe('Telegram config section', () => {
  it('needs a secret reference for the token, and a URL in webhook mode', () => {
    expect(telegramConfigSchema.safeParse({ token: '123:AAliteral' }).success).toBe(false);
    const ok = telegramConfigSchema.parse({ token: '${env:TELEGRAM_BOT_TOKEN}' });
    expect(ok).toMatchObject({ api_root: 'https://api.telegram.org', mode: 'polling', access: 'pairing', allow: [] });
    expect(telegramConfigSchema.safeParse({ token: 'vault:TG', mode: 'webhook' }).success).toBe(false);
    expect(telegramConfigSchema.safeParse({ token: 'vault:TG', mode: 'webhook', webhook: { url: 'https://bot.example.org/tg', secret: 'plain' } }).success).toBe(false);
    expect(telegramConfigSchema.safeParse({ token: 'vault:TG', api_root: 'https://api.telegram.org/' }).success).toBe(false);
    expect(telegramConfigSchema.safeParse({ token: 'vault:TG', unknown_key: 1 }).success).toBe(false);
  });
});

describe('Telegram rendering', () => {
  it('escapes text so the Bot API shows it exactly as written', () => {
    const nasty = '<b>bold?</b> a & b &amp; "q" <a href="x">link</a> 1<2>3 &#60;';
    const parsed = parseHtml(escapeHtml(nasty));
    expect(parsed).toEqual({ ok: true, text: nasty, entities: [] });
  });

  it('callback data is a decision letter and the approval id, at most 64 bytes, and round-trips', () => {
    const data = encodeCallbackData('allow_conversation', prompt.approvalId)!;
    expect(data).toBe(`c:${prompt.approvalId}`);
    expect(decodeCallbackData(data)).toEqual({ decision: 'allow_conversation', approvalId: prompt.approvalId });
    expect(encodeCallbackData('approve', 'a'.repeat(63))).toBeUndefined();
    for (const forged of ['x:apr_1', 'a:', 'a:apr 1', 'a:apr_1:extra', 'approve:apr_1']) expect(decodeCallbackData(forged)).toBeUndefined();
  });

  it('a critical prompt has no "Allow for this chat"; a huge detail is shortened under 4096 visible characters', () => {
    const rendered = renderPrompt({ ...prompt, detail: '<'.repeat(10_000) });
    expect(rendered.keyboard?.inline_keyboard).toEqual([[{ text: 'Approve', callback_data: `a:${prompt.approvalId}` }, { text: 'Deny', callback_data: `d:${prompt.approvalId}` }]]);
    const parsed = parseHtml(rendered.html);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.text.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
      expect(parsed.text).toContain('(shortened for Telegram)');
    }
    const decided = renderPrompt({ ...prompt, outcome: { status: 'denied', by: 'telegram:7', at: new Date('2030-01-01T00:02:00Z') } });
    expect(decided.keyboard).toBeUndefined();
    expect(parseHtml(decided.html)).toMatchObject({ ok: true, text: expect.stringContaining('Denied by telegram:7 at 2030-01-01 00:02 UTC') });
  });
});
