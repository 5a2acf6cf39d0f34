// The terminal chat shows a reply as the model writes it, through the gateway's reply stream
// (GET /api/conversations/:id/stream) with the real API client: the fake model sends the first
// words and holds the rest until the test has seen them printed (no timing), and the finished
// line is the whole reply exactly once.
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/cli/chat/api-client.js';
import { runTerminalChat } from '../../src/cli/chat/terminal-chat.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t.close();
});

describe('terminal chat streaming', () => {
  it('the reply stream needs the API token, like every /api route', async () => {
    for (const path of ['/api/conversations/x/stream', '/%61pi/conversations/x/stream']) {
      const res = await fetch(new URL(path, t.url));
      expect(res.status).toBe(401);
      await res.body?.cancel();
    }
  });

  it('prints the reply as it comes, then completes the same line', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const words = ['Streaming ', 'into ', 'the ', 'terminal ', 'works ', 'word ', 'by ', 'word ', 'until ', 'the ', 'very ', 'last ', 'words ', 'arrive ', 'here.'];
    const full = words.join('');
    t.fake.enqueue({ type: 'text', text: full, chunks: words, hold: { afterChunks: 12, until: held } });

    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    const seen = new Promise<void>((resolve) => {
      output.on('data', (c: Buffer) => {
        printed += c.toString();
        if (/bot: Streaming into/.test(printed)) resolve();
      });
    });
    const done = runTerminalChat({ api: createApiClient(t.url, TEST_TOKEN), input, output, conversationId: 'term-stream', user: 'api:tester' });
    input.write('tell me\n');
    await seen;
    // The beginning is on the terminal while the model still holds the end.
    expect(printed).not.toContain('arrive here.');
    release();
    input.end();
    await done;
    expect(printed).toContain(`bot: ${full}\n`);
    expect(printed.split('bot: ')).toHaveLength(2);
  }, 30_000);
});
