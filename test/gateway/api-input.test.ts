// Bad input at the HTTP edge: clear 4xx answers and nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let t: TestGateway;
const count = (table: string) => (t.gateway.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

beforeAll(async () => {
  t = await startTestGateway({ config: { server: { body_limit_bytes: 4096 } } });
});
afterAll(async () => {
  await t.close();
});

describe('HTTP input validation', () => {
  it('refuses a missing or wrong token with 401 and writes nothing', async () => {
    const before = [count('messages'), count('conversations')];
    const missing = await t.api('POST', '/api/messages', { text: 'hi' }, null);
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('SS_ERR_UNAUTHORIZED');
    expect(missing.body.error.message).toMatch(/Bearer/);
    const wrong = await t.api('POST', '/api/messages', { text: 'hi' }, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).not.toContain('test-token');
    expect([count('messages'), count('conversations')]).toEqual(before);
  });

  it('refuses malformed JSON with 400', async () => {
    const before = count('messages');
    const res = await t.api('POST', '/api/messages', '{"text": "unterminated');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/not valid JSON/);
    expect(count('messages')).toBe(before);
  });

  it('refuses an oversized body with 413', async () => {
    const before = count('messages');
    const res = await t.api('POST', '/api/messages', { text: 'x'.repeat(10_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/too large/);
    expect(count('messages')).toBe(before);
  });

  it('refuses a body of the wrong shape, naming the field', async () => {
    const before = count('messages');
    const missing = await t.api('POST', '/api/messages', { conversation_id: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/text/);
    const extra = await t.api('POST', '/api/messages', { text: 'hi', approved: true });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/approved|Unrecognized/i);
    expect(count('messages')).toBe(before);
  });

  it('answers 404 for unknown actions, conversations and routes', async () => {
    expect((await t.api('GET', '/api/actions/act_nope')).status).toBe(404);
    expect((await t.api('GET', '/api/conversations/nope/messages')).status).toBe(404);
    expect((await t.api('GET', '/api/nothing-here')).status).toBe(404);
  });

  it('runs a direct action through the same validation and policy', async () => {
    const ok = await t.api('POST', '/api/actions', { action_type: 'skill_execution', conversation_id: 'direct-1', skill: 'calc', operation: 'add', arguments: { a: 1, b: 2 } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'succeeded', result: { sum: 3 } });
    const bad = await t.api('POST', '/api/actions', { action_type: 'skill_execution', conversation_id: 'direct-1', skill: 'calc', operation: 'add', arguments: { a: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/b: /);
    const unknown = await t.api('POST', '/api/actions', { action_type: 'skill_execution', conversation_id: 'direct-1', skill: '__proto__', operation: 'add', arguments: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/Unknown tool/);
    const high = await t.api('POST', '/api/actions', { action_type: 'skill_execution', conversation_id: 'direct-1', skill: 'calc', operation: 'wipe', arguments: { target: 'x' } });
    expect(high.status).toBe(202);
    expect(high.body.status).toBe('awaiting_approval');
    const stored = await t.api('GET', `/api/actions/${high.body.id}`);
    expect(stored.body.status).toBe('awaiting_approval');
  });
});
