// Killing the gateway at any moment loses nothing it acknowledged: a real `securesphere start`
// process is sent SIGKILL in the middle of a stream of messages, then restarted on the same
// data directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama-server.js';
import { spawnCli } from '../helpers/cli.js';
import { FIXTURE_SKILLS_DIR } from '../helpers/gateway.js';

const TOKEN = 'durability-token-123456';
let fake: FakeOllama;
let dataDir: string;

beforeAll(async () => {
  fake = await startFakeOllama();
  dataDir = mkdtempSync(join(tmpdir(), 'securesphere-durability-'));
  // The in-process fixture skill keeps this test about the store, not the sandbox.
  writeFileSync(join(dataDir, 'config.yaml'), `skills:\n  extra_dirs: [${JSON.stringify(FIXTURE_SKILLS_DIR)}]\n  enabled: [calc]\n`);
});
afterAll(async () => {
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function startGateway() {
  const p = spawnCli(['start', '--data-dir', dataDir, '--port', '0'], {
    SECURESPHERE_API_TOKEN: TOKEN,
    OLLAMA_HOST: fake.url,
    SECURESPHERE_LOG_LEVEL: 'warn',
    SECURESPHERE_CONFIG: join(dataDir, 'config.yaml'),
  });
  const [, url] = await p.waitFor(/listening on (http:\/\/[^\s]+) /);
  return { p, url: url! };
}

async function post(url: string, path: string, body: unknown) {
  const res = await fetch(new URL(path, url), {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('kill and reopen', () => {
  it('keeps every acknowledged message and action after SIGKILL', async () => {
    const first = await startGateway();
    const acked: string[] = [];
    const actionIds: string[] = [];
    // Fire requests continuously and kill the process while some are in flight.
    const inflight: Promise<void>[] = [];
    // Kill once at least 40 requests went out and some were acknowledged (on a loaded machine
    // the first answers can take longer than 40 requests take to send); bounded either way.
    let killed = false;
    for (let i = 0; i < 600 && !killed; i++) {
      inflight.push(
        post(first.url, '/api/messages', { conversation_id: `kill-${i % 3}`, text: `message ${i}` })
          .then((r) => {
            if (r.status === 200) acked.push(`message ${i}`);
          })
          .catch(() => undefined),
      );
      inflight.push(
        post(first.url, '/api/actions', { action_type: 'skill_execution', conversation_id: `kill-${i % 3}`, skill: 'calc', operation: 'add', arguments: { a: i, b: 1 } })
          .then((r) => {
            if (r.body?.id) actionIds.push(r.body.id);
          })
          .catch(() => undefined),
      );
      if (i >= 40 && ((acked.length > 0 && actionIds.length > 0) || i === 599)) {
        first.p.child.kill('SIGKILL');
        killed = true;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(inflight);
    await first.p.exited;
    expect(acked.length).toBeGreaterThan(0);
    expect(actionIds.length).toBeGreaterThan(0);

    const second = await startGateway();
    try {
      const seen = new Set<string>();
      for (const c of [0, 1, 2]) {
        const res = await fetch(new URL(`/api/conversations/kill-${c}/messages?limit=1000`, second.url), { headers: { authorization: `Bearer ${TOKEN}` } });
        const body = (await res.json()) as any;
        for (const m of body.messages ?? []) if (m.role === 'user') seen.add(m.content);
      }
      for (const text of acked) expect(seen.has(text), `acknowledged "${text}" survived`).toBe(true);
      for (const id of actionIds) {
        const res = await fetch(new URL(`/api/actions/${id}`, second.url), { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(res.status, `acknowledged action ${id} survived`).toBe(200);
      }
    } finally {
      second.p.child.kill('SIGTERM');
      await second.p.exited;
    }
  }, 90_000);
});
