// The whole effect in every rendering of one real approval request: an argument that hides
// `; rm -rf /workspace/*` behind 3,100 spaces (it used to be cut at 3,000 characters) shows
// its tail in the API's prompt text, the text fallback sent to the channel, the web page's card
// (as the page's event stream carries it) and `securesphere approvals list`.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderApprovalPromptForTerminal } from '../../src/cli/chat/approval-prompt.js';
import { turns } from '../fakes/ollama-server.js';
import { readEvents } from '../channels/web-helpers.js';
import { runCli } from '../helpers/cli.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';

const TAIL = 'echo hello⟨3,100 spaces⟩; rm -rf /workspace/*';
const target = `sh -c "echo hello${' '.repeat(3100)}; rm -rf /workspace/*"`;
let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway({ config: { logging: { level: 'warn' } } });
});
afterAll(async () => {
  await g?.close();
});

describe('a 3,100-space argument in every prompt rendering', () => {
  it('shows its tail on the web card, in the API prompt, the channel text and the CLI list', async () => {
    const auth = { authorization: `Bearer ${TEST_TOKEN}` };
    const events = readEvents(await fetch(`${g.url}/api/web/events?conversation_id=web-tail`, { headers: auth }));
    g.fake.enqueue(turns.toolCall('calc_wipe', { target }));
    const sent = await fetch(`${g.url}/api/web/messages`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ conversation_id: 'web-tail', text: 'clean up' }),
    });
    expect(sent.status).toBe(202);

    // The web card: what the page puts in the card's <pre> (textContent) is `detail`.
    let card: { approval_id: string; detail: string } | undefined;
    while (!card) {
      const [event] = await events.next(1);
      card = event!.data.approval as typeof card;
    }
    await events.cancel();
    expect(card.detail).toContain(TAIL);

    // The API's prompt (what every channel renders from) and the terminal rendering of it.
    const res = await g.api('GET', `/api/approvals/${card.approval_id}`);
    expect(res.status).toBe(200);
    expect(res.body.prompt.detail).toContain(TAIL);
    expect(renderApprovalPromptForTerminal({ ...res.body.prompt, expiresAt: new Date(res.body.prompt.expiresAt) })).toContain(TAIL);

    // The text fallback the channel received with the prompt.
    const delivered = g.outbound.find((m) => m.approvalId === card!.approval_id);
    expect(delivered?.text).toContain(TAIL);

    // `securesphere approvals list` through the running gateway.
    const cli = await runCli(['approvals', 'list', '--url', g.url], {
      SECURESPHERE_CONFIG: join(g.dataDir, 'securesphere.yaml'),
      SECURESPHERE_API_TOKEN: TEST_TOKEN,
      SECURESPHERE_LOG_LEVEL: 'warn',
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(card.approval_id);
    expect(cli.stdout).toContain(TAIL);
  });

  it('shows the tail in the "Ran …" notice of a step that needed no approval', async () => {
    g.fake.enqueue(turns.toolCall('calc_note', { text: `${target}\u202e` }), turns.text('noted'));
    const res = await g.api('POST', '/api/messages', { conversation_id: 'notice-tail', user: 'u', text: 'note it' });
    expect(res.body).toMatchObject({ status: 'completed' });
    const notice = g.outbound.find((m) => m.conversationId === 'notice-tail' && m.text.startsWith('Ran calc_note'));
    expect(notice?.text).toContain(TAIL);
    expect(notice?.text).toContain('\\u{202e}');
    expect(notice?.text).not.toContain('\u202e');
  });
});
