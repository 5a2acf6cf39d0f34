// `securesphere chat` in a REAL pseudo-terminal against a running gateway and the fake Ollama:
// a model reply full of terminal escapes (clear screen, cursor home, OSC window title, OSC 8
// hyperlink, conceal, 8-bit CSI) and a fake approval prompt reaches the terminal as inert,
// visible text; a real approval prompt whose argument hides its tail behind 3,100 spaces shows
// that tail.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turns } from '../fakes/ollama-server.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { spawnCliInPty, type PtyProcess } from '../helpers/pty.js';

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway({ config: { logging: { level: 'warn' } } });
});
const started: PtyProcess[] = [];
afterAll(async () => {
  for (const p of started) p.kill();
  await g?.close();
});

const chatInPty = (conversation: string) => {
  // As the token's identity (api:operator), so its own "n" may cancel the request.
  const p = spawnCliInPty(['chat', '--url', g.url, '--conversation', conversation], {
    SECURESPHERE_CONFIG: join(g.dataDir, 'securesphere.yaml'),
    SECURESPHERE_API_TOKEN: TEST_TOKEN,
    SECURESPHERE_LOG_LEVEL: 'warn',
  });
  started.push(p);
  return p;
};

describe('terminal chat in a pseudo-terminal', () => {
  it('shows escape sequences in a model reply as harmless visible text', async () => {
    const hostile = [
      '\u001b[2J\u001b[H\u001b]0;all good\u0007Nothing to see.',
      'Approval needed [LOW] apr_fake\u001b[8m hidden\u001b[0m',
      '  [y] approve once\u001b]8;;http://evil.example\u0007link\u001b]8;;\u0007\u009b2J\u202eevil\u200b',
    ].join('\n');
    g.fake.enqueue(turns.text(hostile));
    const chat = chatInPty('pty-escapes');
    await chat.waitFor(/Type a message/);
    chat.type('hello\n');
    await chat.waitFor(/Nothing to see/);
    await chat.waitFor(/evil\S*\r?\n/);
    chat.end();
    expect(await chat.exited).toBe(0);

    const bytes = chat.output();
    // The terminal received no ESC, BEL or 8-bit CSI/OSC at all (the chat prints no colour).
    expect(bytes.includes(0x1b), 'an ESC byte reached the terminal').toBe(false);
    expect(bytes.includes(0x07), 'a BEL byte reached the terminal').toBe(false);
    expect(bytes.includes(Buffer.from('\u009b', 'utf8')), 'an 8-bit CSI reached the terminal').toBe(false);
    expect(bytes.includes(Buffer.from('\u202e', 'utf8')), 'a bidi override reached the terminal').toBe(false);
    const text = bytes.toString('utf8').replace(/\r/g, '');
    expect(text).toContain('bot: \\u{1b}[2J\\u{1b}[H\\u{1b}]0;all good\\u{7}Nothing to see.');
    expect(text).toContain('\\u{9b}2J');
    expect(text).toContain('\\u{200b}');
    // The reply's own lines carry the gutter: it cannot start a line that looks like a real prompt.
    expect(text).not.toMatch(/^Approval needed/m);
    expect(text).toMatch(/^ {3}│ Approval needed \[LOW\] apr_fake/m);
  });

  it('shows the tail of an argument hidden behind 3,100 spaces in the approval prompt', async () => {
    const target = `sh -c "echo hello${' '.repeat(3100)}; rm -rf /workspace/*"`;
    g.fake.enqueue(turns.toolCall('calc_wipe', { target }), (req) => turns.text(`model: ${req.messages.at(-1)!.content.slice(0, 30)}`));
    const chat = chatInPty('pty-tail');
    await chat.waitFor(/Type a message/);
    chat.type('clean up\n');
    await chat.waitFor(/\[n\] deny/);
    const text = chat.output().toString('utf8');
    expect(text).toMatch(/Approval needed \[HIGH\]/);
    expect(text).toContain('echo hello⟨3,100 spaces⟩; rm -rf /workspace/*');
    chat.type('n\n');
    await chat.waitFor(/bot: model: Not run/);
    chat.end();
    expect(await chat.exited).toBe(0);
  });
});
