// The web page in a real headless Chromium against the real HTTP routes: token prompt, sending,
// hostile model text shown as text, approval buttons reaching ctx.decide, in-place updates,
// and no CSP violation or script error. Skips when Chromium is not installed, unless
// REQUIRE_BROWSER=1 (then a missing browser is a failure).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApprovalPrompt } from '../../src/policy/approval-prompt.js';
import { TOKEN, startWebHarness, type WebHarness } from './web-helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);

if (!available && process.env.REQUIRE_BROWSER === '1') {
  throw new Error(`REQUIRE_BROWSER=1 but no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
}

describe.skipIf(!available)('web page in headless Chromium', () => {
  let browser: Browser;
  let h: WebHarness;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    h = await startWebHarness({ heartbeatMs: 60_000 });
    page = await browser.newPage();
    problems = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
  });
  afterEach(async () => {
    await page.close();
    await h.close();
  });

  async function login(token: string): Promise<void> {
    await page.goto(`${h.url}/`);
    await page.fill('#token', token);
    await page.click('#login-form button[type=submit]');
  }

  it('asks for the token, rejects a wrong one, and remembers a right one for the tab', async () => {
    await login('wrong-token');
    await page.waitForSelector('#login-error:not([hidden])');
    expect(await page.textContent('#login-error')).toContain('not accepted');
    expect(await page.evaluate("sessionStorage.getItem('securesphere.token')")).toBeNull();

    await page.fill('#token', TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#status[data-state="online"]');
    expect(await page.isVisible('#chat')).toBe(true);
    await page.reload();
    await page.waitForSelector('#status[data-state="online"]');
    expect(await page.isVisible('#login')).toBe(false);
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
  });

  it('sends a message, shows the reply as text even when it contains HTML, and runs approval buttons', async () => {
    h.onReceive = async (m) => {
      await h.channel.deliver({
        deliveryId: '1',
        address: { conversationId: m.conversationId },
        text: `<img src=x onerror="document.title='pwned'"> echo: ${m.text}`,
      });
    };
    await login(TOKEN);
    await page.waitForSelector('#status[data-state="online"]');
    await page.fill('#input', 'hello from the browser');
    await page.press('#input', 'Enter');
    await page.waitForSelector('.msg.bot');
    expect(h.received[0]).toMatchObject({ chatType: 'direct', senderId: 'operator', text: 'hello from the browser' });
    expect(await page.textContent('.msg.user .text')).toBe('hello from the browser');
    expect(await page.textContent('.msg.bot .text')).toContain('<img src=x');
    expect(await page.$('.msg.bot img')).toBeNull();
    expect(await page.title()).not.toBe('pwned');

    const conversationId = h.received[0]!.conversationId;
    const approval = {
      approvalId: 'apr_browser',
      summary: 'shell.run needs approval (high)',
      detail: '{"cmd":"ls"}',
      securityLevel: 'high' as const,
      approvers: ['web:operator'],
      expiresAt: new Date(Date.now() + 600_000),
      options: ['approve', 'deny', 'allow_conversation'] as Array<'approve' | 'deny' | 'allow_conversation'>,
    };
    const { platformMessageId: promptId } = await h.channel.deliver({ deliveryId: '2', address: { conversationId }, text: 'Approve?', approval });
    await page.waitForSelector('.approval button[data-decision="allow_conversation"]');
    expect(await page.$$eval('.approval button', (bs) => bs.map((b) => b.textContent))).toEqual([
      'Approve',
      'Deny',
      'Allow for this conversation',
    ]);
    await page.click('.approval button[data-decision="allow_conversation"]');
    await page.waitForSelector('.approval .meta >> text=Decision sent.');
    expect(h.decisions).toEqual([{ approvalId: 'apr_browser', decision: 'allow_conversation', userId: 'operator' }]);

    await h.channel.edit(promptId, {
      deliveryId: '3',
      address: { conversationId },
      text: 'Approved',
      approval: { ...approval, outcome: { status: 'approved', by: 'web:operator', at: new Date() } },
    });
    await page.waitForSelector('.approval .outcome.approved');
    expect(await page.$$('.approval')).toHaveLength(1); // updated in place, not appended
    expect(await page.$('.approval button')).toBeNull();
    expect(problems).toEqual([]);
  });

  it('shows the whole effect on the approval card: the tail behind 3,100 spaces, and the full request on demand', async () => {
    h.onReceive = async () => undefined;
    await login(TOKEN);
    await page.waitForSelector('#status[data-state="online"]');
    await page.fill('#input', 'hi');
    await page.press('#input', 'Enter');
    await page.waitForSelector('.msg.user');
    const conversationId = h.received[0]!.conversationId;
    const hidden = `echo hello${' '.repeat(3100)}; rm -rf /workspace/*`;
    const prompt = buildApprovalPrompt({
      id: 'apr_tail', actionId: 'act_1', conversationId, skill: 'shell', operation: 'run',
      canonicalArguments: JSON.stringify({ argv: ['sh', '-c', hidden], stdin: 'x'.repeat(5000) }), argumentsHash: 'a'.repeat(64),
      securityLevel: 'critical', requester: 'web-operator', approvers: ['root'], status: 'pending',
      createdAt: new Date(), expiresAt: new Date(Date.now() + 600_000),
    });
    await h.channel.deliver({ deliveryId: '9', address: { conversationId }, text: 'Approve?', approval: prompt });
    await page.waitForSelector('.approval pre.detail');
    const shown = await page.textContent('.approval > pre.detail');
    expect(shown).toContain('echo hello⟨3,100 spaces⟩; rm -rf /workspace/*');
    expect(shown).toContain('characters not shown');
    // The full request is one click away, every character of it.
    expect(await page.isVisible('.approval details.full-detail pre')).toBe(false);
    await page.click('.approval details.full-detail summary');
    expect(await page.textContent('.approval details.full-detail pre')).toContain(hidden);
    expect(problems).toEqual([]);
  });

  it('enforces the CSP: an injected inline script is blocked', async () => {
    await page.goto(`${h.url}/`);
    // A string, not a function: the test compiles without the DOM lib.
    const violated = await page.evaluate<string>(`new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true });
      const script = document.createElement('script');
      script.textContent = 'document.title = "inline ran"';
      document.body.appendChild(script);
      setTimeout(() => resolve('no violation'), 2000);
    })`);
    expect(violated).toMatch(/^script-src/);
    expect(await page.title()).not.toBe('inline ran');
  });
});
