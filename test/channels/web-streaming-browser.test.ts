// A streamed reply reaches the web page progressively, in a real headless Chromium against the
// real gateway: the fake model sends the first words and holds the rest until the test has seen
// them on the page (no timing), then the final text replaces the streamed bubble. Skips when
// Chromium is not installed, unless REQUIRE_BROWSER=1.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER=1 but no Chromium at ${CHROMIUM}`);

describe.skipIf(!available)('streamed replies on the web page', () => {
  let browser: Browser;
  let t: TestGateway;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    t = await startTestGateway();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows the reply as it comes, then the final text in the same bubble', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const words = ['The ', 'first ', 'part ', 'of ', 'a ', 'long ', 'answer ', 'arrives ', 'before ', 'the ', 'model ', 'is ', 'done, ', 'then ', 'the ', 'rest.'];
    t.fake.enqueue({ type: 'text', text: words.join(''), chunks: words, hold: { afterChunks: 13, until: held } });

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    try {
      await page.goto(`${t.url}/`);
      await page.fill('#token', TEST_TOKEN);
      await page.click('#login-form button[type=submit]');
      await page.waitForSelector('#status[data-state="online"]');
      await page.fill('#input', 'tell me something long');
      await page.press('#input', 'Enter');

      // Part of the reply is on the page while the model still holds the rest.
      const partial = await page.waitForSelector('.msg.bot.streaming .text');
      const partialText = (await partial.textContent()) ?? '';
      expect(partialText.length).toBeGreaterThan(0);
      expect(words.join('').startsWith(partialText)).toBe(true);
      expect(partialText).not.toContain('rest.');

      release();
      // (A selector, not waitForFunction: the page's CSP forbids the eval that polling uses.)
      await page.waitForSelector(`.msg.bot:not(.streaming) .text:text-is("${words.join('')}")`);
      // One bubble: the final text replaced the streamed one.
      expect(await page.$$eval('.msg.bot', (nodes) => nodes.map((n) => n.textContent ?? ''))).toHaveLength(1);
      expect(problems).toEqual([]);
    } finally {
      release();
      await page.close();
    }
  }, 60_000);
});
