// The fake Ollama server itself, checked with raw HTTP: the wire shapes other tests rely on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, turns, type FakeOllama } from '../fakes/ollama-server.js';

async function ndjson(res: Response): Promise<Array<Record<string, unknown>>> {
  const text = await res.text();
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('fake ollama wire format', () => {
  let fake: FakeOllama;
  beforeAll(async () => {
    fake = await startFakeOllama({ models: ['llama3.1'] });
  });
  afterAll(async () => {
    await fake.close();
  });
  const post = (path: string, body: unknown) =>
    fetch(`${fake.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('streams NDJSON by default: deltas, a tool_calls line with object arguments, a done line with counts', async () => {
    fake.enqueue(turns.toolCalls([{ name: 'x_y', arguments: { a: 1 } }], 'hi there'));
    const res = await post('/api/chat', { model: 'llama3.1', messages: [{ role: 'user', content: 'q' }] });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = await ndjson(res);
    expect(lines.slice(0, 2).map((l) => (l.message as { content: string }).content)).toEqual(['hi ', 'there']);
    expect((lines[2]!.message as { tool_calls: unknown }).tool_calls).toEqual([{ function: { index: 0, name: 'x_y', arguments: { a: 1 } } }]);
    const done = lines.at(-1)!;
    expect(done).toMatchObject({ done: true, done_reason: 'stop', model: 'llama3.1' });
    expect(done.eval_count).toBeGreaterThan(0);
    expect(done.prompt_eval_count).toBeGreaterThan(0);
  });

  it('answers stream:false with one JSON body, and rejects string tool-call arguments like Ollama', async () => {
    const ok = await post('/api/chat', { model: 'llama3.1', stream: false, messages: [{ role: 'user', content: 'echo me' }] });
    expect(((await ok.json()) as { message: { content: string } }).message.content).toBe('echo me');
    const bad = await post('/api/chat', {
      model: 'llama3.1',
      messages: [{ role: 'assistant', content: '', tool_calls: [{ function: { name: 'x', arguments: '{"a":1}' } }] }],
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('cannot unmarshal string');
    expect((await post('/api/chat', '{nope')).status).toBe(400);
  });

  it('serves tags, show, version, and 404s the rest', async () => {
    const tags = (await (await fetch(`${fake.url}/api/tags`)).json()) as { models: Array<{ name: string }> };
    expect(tags.models.map((m) => m.name)).toEqual(['llama3.1:latest']);
    const show = await post('/api/show', { model: 'llama3.1' });
    expect(((await show.json()) as { capabilities: string[] }).capabilities).toContain('tools');
    expect((await post('/api/show', { model: 'nope' })).status).toBe(404);
    expect(((await (await fetch(`${fake.url}/api/version`)).json()) as { version: string }).version).toMatch(/^\d/);
    const missing = await post('/api/chat', { model: 'nope', messages: [] });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'model "nope" not found, try pulling it first' });
    expect((await fetch(`${fake.url}/api/pull`)).status).toBe(404);
  });
});
