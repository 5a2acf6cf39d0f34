// End to end through the real processes: `securesphere start` and `securesphere chat`
// (the CLI channel) with its stdin and stdout piped, against the fake Ollama.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, turns, type FakeOllama } from '../fakes/ollama-server.js';
import { spawnCli, type CliProcess } from '../helpers/cli.js';
import { FIXTURE_SKILLS_DIR } from '../helpers/gateway.js';

let fake: FakeOllama;
let dataDir: string;
let gateway: CliProcess;
let url: string;
const env = () => ({ SECURESPHERE_CONFIG: join(dataDir, 'config.yaml'), SECURESPHERE_LOG_LEVEL: 'warn', SECURESPHERE_API_TOKEN: '' });

beforeAll(async () => {
  fake = await startFakeOllama();
  dataDir = mkdtempSync(join(tmpdir(), 'securesphere-cli-'));
  writeFileSync(
    join(dataDir, 'config.yaml'),
    [
      `data_dir: ${JSON.stringify(dataDir)}`,
      'server: { port: 0 }',
      `provider: { host: ${JSON.stringify(fake.url)} }`,
      `skills: { extra_dirs: [${JSON.stringify(FIXTURE_SKILLS_DIR)}], enabled: [calc] }`,
      'sandbox: { warm_pool: 0 }',
    ].join('\n'),
  );
  gateway = spawnCli(['start'], env());
  const m = await gateway.waitFor(/listening on (http:\/\/[^\s]+) /);
  url = m[1]!;
  // The first start generated a token and printed it once.
  expect(gateway.stdout()).toMatch(/API token \(shown once/);
});
afterAll(async () => {
  gateway.child.kill('SIGTERM');
  await gateway.exited;
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Without --user the chat speaks and decides as the token's identity (api:operator). */
function chat(conversation: string, user?: string): CliProcess {
  return spawnCli(['chat', '--url', url, '--conversation', conversation, ...(user ? ['--user', user] : [])], env());
}

describe('securesphere chat', () => {
  it('answers plain messages and runs tools, in order', async () => {
    fake.enqueue(turns.text('hello from the model'));
    fake.enqueue(turns.toolCall('calc_add', { a: 20, b: 22 }), (req) => turns.text(`sum is ${req.messages.at(-1)!.content.includes('"sum":42') ? 42 : '?'}`));
    fake.enqueue(turns.toolCall('calc_add', { a: 'x' }), (req) => turns.text(`model saw: ${req.messages.at(-1)!.content.slice(0, 40)}`));
    const c = chat('cli-plain');
    c.child.stdin.write('hi\n');
    await c.waitFor(/bot: hello from the model/);
    c.child.stdin.write('add 20 and 22\n');
    await c.waitFor(/bot: sum is 42/);
    c.child.stdin.write('add badly\n');
    await c.waitFor(/bot: model saw: Error: Invalid arguments for calc_add/);
    c.child.stdin.end();
    expect(await c.exited).toBe(0);
  });

  it('shows an approval prompt, takes "y", runs the step once and continues the conversation', async () => {
    fake.enqueue(turns.toolCall('calc_wipe', { target: 'old-logs' }), (req) => {
      const tool = req.messages.at(-1)!;
      return turns.text(tool.content.includes('"done":"wipe"') ? 'wiped old-logs' : `not run: ${tool.content.slice(0, 60)}`);
    });
    const c = chat('cli-approve');
    c.child.stdin.write('please wipe old-logs\n');
    const [, id] = await c.waitFor(/Approval needed \[HIGH\] (\S+)/);
    expect(c.stdout()).toMatch(/old-logs/);
    expect(c.stdout()).toMatch(/\[y\] approve once/);
    c.child.stdin.write('y\n');
    await c.waitFor(/bot: wiped old-logs/);
    c.child.stdin.end();
    await c.exited;
    const res = await fetch(`${url}/api/approvals/${id}`, { headers: { authorization: `Bearer ${tokenOf()}` } });
    const body = (await res.json()) as any;
    expect(body.approval).toMatchObject({ status: 'approved', decided_by: 'api:operator', requester: 'api:operator' });
  });

  it('takes "n" to deny; the model is told the step did not run', async () => {
    fake.enqueue(turns.toolCall('calc_wipe', { target: 'db' }), (req) => turns.text(`model: ${req.messages.at(-1)!.content}`));
    const c = chat('cli-deny');
    c.child.stdin.write('wipe db\n');
    await c.waitFor(/Approval needed \[HIGH\]/);
    c.child.stdin.write('n\n');
    await c.waitFor(/bot: model: Not run: a human denied the approval/);
    c.child.stdin.end();
    await c.exited;
  });
});

function tokenOf(): string {
  return readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
}
