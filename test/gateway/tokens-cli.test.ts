// `securesphere tokens create|list|revoke` against a data dir a running gateway uses: the new
// token is printed once (last stdout line), stored only hashed, acts as api:NAME at once, may
// not act for others unless created so, and stops working when revoked or expired.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/store/api-tokens.js';
import { runCli } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let t: TestGateway;
let env: Record<string, string>;
beforeAll(async () => {
  t = await startTestGateway();
  env = { SECURESPHERE_CONFIG: join(t.dataDir, 'securesphere.yaml') };
});
afterAll(async () => {
  await t?.close();
});

describe('securesphere tokens', () => {
  it('creates a token bound to api:NAME, printed once and stored hashed; revoking ends it', async () => {
    const created = await runCli(['tokens', 'create', 'ci-bot'], env);
    expect(created.code).toBe(0);
    const token = created.stdout.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^ss_[A-Za-z0-9_-]{40,}$/);
    expect(created.stdout).toContain('api:ci-bot');
    // Only the hash is stored.
    const files = ['securesphere.db', 'securesphere.db-wal'].map((f) => { try { return readFileSync(join(t.dataDir, f)).toString('latin1'); } catch { return ''; } }).join('');
    expect(files).toContain('ci-bot');
    expect(files.includes(token)).toBe(false);
    expect(t.gateway.db.prepare('SELECT token_hash FROM api_tokens WHERE name = ?').get('ci-bot')).toEqual({ token_hash: hashToken(token) });

    const listed = await runCli(['tokens', 'list'], env);
    expect(listed.stdout).toMatch(/api:ci-bot {2}active/);
    expect(listed.stdout).not.toContain(token);

    const said = await t.api('POST', '/api/messages', { conversation_id: 'tok-1', text: 'who am I' }, token);
    expect(said.status).toBe(200);
    const history = await t.api('GET', '/api/conversations/tok-1/messages');
    expect(history.body.messages[0]).toMatchObject({ role: 'user', sender_id: 'api:ci-bot' });
    // Without --act-for-others it cannot speak as someone else.
    expect((await t.api('POST', '/api/messages', { conversation_id: 'tok-1', user: 'alice', text: 'hi' }, token)).status).toBe(403);

    expect((await runCli(['tokens', 'create', 'ci-bot'], env)).code).not.toBe(0);
    const revoked = await runCli(['tokens', 'revoke', 'ci-bot'], env);
    expect(revoked.stdout).toContain('Revoked api:ci-bot');
    expect((await t.api('POST', '/api/messages', { conversation_id: 'tok-1', text: 'still?' }, token)).status).toBe(401);
    expect(t.gateway.audit.list({ limit: 1000 }).map((e) => e.type)).toEqual(expect.arrayContaining(['api-token-created', 'api-token-revoked']));
  }, 60_000);

  it('--act-for-others lets a token post as another api: user, never as a chat user; --expires ends it', async () => {
    const created = await runCli(['tokens', 'create', 'relay', '--act-for-others', '--expires', '30d'], env);
    const token = created.stdout.trim().split('\n').at(-1)!;
    expect((await t.api('POST', '/api/messages', { conversation_id: 'tok-2', user: 'alice', text: 'relayed' }, token)).status).toBe(200);
    const history = await t.api('GET', '/api/conversations/tok-2/messages');
    expect(history.body.messages[0]).toMatchObject({ sender_id: 'api:alice' });
    expect((await t.api('POST', '/api/messages', { conversation_id: 'tok-2', user: 'telegram:123', text: 'x' }, token)).status).toBe(400);
    expect((await runCli(['tokens', 'create', 'old', '--expires', '2001-01-01'], env)).code).not.toBe(0);
    expect((await runCli(['tokens', 'create', 'operator'], env)).code).not.toBe(0);
  }, 60_000);
});
