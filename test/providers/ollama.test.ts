// The Ollama provider with the real `ollama` client against the fake server on a real socket.
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_CODES, SecureSphereError } from '../../src/core/errors.js';
import { createOllamaProvider, normalizeOllamaHost } from '../../src/providers/vendors/ollama/provider.js';
import type { ToolDefinition } from '../../src/providers/provider.js';
import { startFakeOllama, turns, type FakeOllama } from '../fakes/ollama-server.js';

const readTool: ToolDefinition = {
  name: 'filesystem_read',
  description: 'Read a file from the workspace',
  parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false },
};

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function caught(promise: Promise<unknown>): Promise<SecureSphereError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(SecureSphereError);
    return err as SecureSphereError;
  }
  throw new Error('expected a rejection');
}

describe('ollama provider against the fake server', () => {
  let fake: FakeOllama;
  beforeAll(async () => {
    fake = await startFakeOllama({ models: ['llama3.1', { name: 'tiny', capabilities: ['completion'] }] });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.clearRequests());

  const provider = () => createOllamaProvider({ host: fake.url, model: 'llama3.1', timeoutMs: 5_000 });

  it('returns a plain reply and sends the prompt in the wire format', async () => {
    fake.enqueue(turns.text('Hello there, human.'));
    const res = await provider().chat({
      model: 'llama3.1',
      messages: [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: 'hi', senderId: 'u1' },
      ],
      tools: [],
    });
    expect(res.text).toBe('Hello there, human.');
    expect(res.toolCalls).toEqual([]);
    expect(res.usage?.outputTokens).toBeGreaterThan(0);
    const sent = fake.chatRequests[0]!;
    expect(sent.stream).toBe(false);
    expect(sent.model).toBe('llama3.1');
    expect(sent.messages).toEqual([
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(sent.tools).toBeUndefined();
  });

  it('streams text deltas and resolves to the full text', async () => {
    fake.enqueue(turns.text('one two three', ['one ', 'two ', 'three']));
    const deltas: string[] = [];
    const res = await provider().chatStream(
      { model: 'llama3.1', messages: [{ role: 'user', content: 'count' }], tools: [] },
      { onText: (d) => deltas.push(d) },
    );
    expect(deltas).toEqual(['one ', 'two ', 'three']);
    expect(res.text).toBe('one two three');
    expect(fake.chatRequests[0]!.stream).toBe(true);
  });

  it('round-trips a tool call: tools offered, call parsed, result sent back with tool_name', async () => {
    fake.enqueue(turns.toolCall('filesystem_read', { path: 'notes.txt' }));
    const p = provider();
    const first = await p.chat({ model: 'llama3.1', messages: [{ role: 'user', content: 'read notes' }], tools: [readTool] });
    expect(first.toolCalls).toHaveLength(1);
    const call = first.toolCalls[0]!;
    expect(call.name).toBe('filesystem_read');
    expect(call.arguments).toEqual({ path: 'notes.txt' });
    expect(call.id).toMatch(/^call_/); // generated: this Ollama version sent no id
    expect(fake.chatRequests[0]!.tools).toEqual([
      { type: 'function', function: { name: 'filesystem_read', description: readTool.description, parameters: readTool.parameters } },
    ]);

    fake.enqueue((req) => {
      const toolMsg = req.messages.find((m) => m.role === 'tool');
      return turns.text(`The file says: ${toolMsg?.content ?? 'nothing'}`);
    });
    const second = await p.chat({
      model: 'llama3.1',
      messages: [
        { role: 'user', content: 'read notes' },
        { role: 'assistant', content: '', toolCalls: [call] },
        { role: 'tool', content: 'buy milk', toolCallId: call.id, toolName: 'filesystem_read' },
      ],
      tools: [readTool],
    });
    expect(second.text).toBe('The file says: buy milk');
    const sent = fake.chatRequests[1]!;
    expect(sent.messages[1]).toEqual({
      role: 'assistant',
      content: '',
      tool_calls: [{ function: { name: 'filesystem_read', arguments: { path: 'notes.txt' } } }],
    });
    expect(sent.messages[2]).toEqual({ role: 'tool', content: 'buy milk', tool_name: 'filesystem_read' });
  });

  it('keeps ids Ollama sends, collects streamed tool calls, and coerces string arguments to objects', async () => {
    fake.enqueue(turns.toolCalls([{ name: 'a_b', arguments: { x: 1 }, id: 'call_abc' }], 'Let me check.'));
    const deltas: string[] = [];
    const res = await provider().chatStream(
      { model: 'llama3.1', messages: [{ role: 'user', content: 'go' }], tools: [readTool] },
      { onText: (d) => deltas.push(d) },
    );
    expect(res.toolCalls).toEqual([{ id: 'call_abc', name: 'a_b', arguments: { x: 1 } }]);
    expect(deltas.join('')).toBe('Let me check.');

    // A history entry whose arguments a model produced as a JSON string must not poison later requests.
    fake.enqueue(turns.text('ok'));
    await provider().chat({
      model: 'llama3.1',
      messages: [
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'a_b', arguments: '{"x":2}' }, { id: 'c2', name: 'a_b', arguments: 'junk' }] },
        { role: 'tool', content: 'r', toolCallId: 'c1', toolName: 'a_b' },
      ],
      tools: [],
    });
    const sentCalls = fake.chatRequests.at(-1)!.messages[0]!.tool_calls!;
    expect(sentCalls.map((c) => c.function.arguments)).toEqual([{ x: 2 }, {}]);
  });

  it('maps a missing model to PROVIDER_MODEL_NOT_FOUND telling to ollama pull', async () => {
    const err = await caught(provider().chat({ model: 'mistral', messages: [{ role: 'user', content: 'hi' }], tools: [] }));
    expect(err.code).toBe(ERROR_CODES.PROVIDER_MODEL_NOT_FOUND);
    expect(err.message).toContain('ollama pull mistral');
    const streamed = await caught(provider().chatStream({ model: 'mistral', messages: [], tools: [] }, { onText: () => undefined }));
    expect(streamed.code).toBe(ERROR_CODES.PROVIDER_MODEL_NOT_FOUND);
  });

  it('explains a model without tool support', async () => {
    const err = await caught(provider().chat({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], tools: [readTool] }));
    expect(err.code).toBe(ERROR_CODES.PROVIDER_TOOLS_UNSUPPORTED);
  });

  it('maps HTTP errors (5xx: unavailable) and mid-stream error lines to PROVIDER_ERROR', async () => {
    fake.enqueue(turns.error('model runner has unexpectedly stopped', 500));
    const err = await caught(provider().chat({ model: 'llama3.1', messages: [], tools: [] }));
    expect(err.code).toBe(ERROR_CODES.PROVIDER_UNAVAILABLE);
    expect(err.details?.status).toBe(500);
    expect(err.message).toContain('unexpectedly stopped');

    fake.enqueue({ type: 'error', message: 'out of memory', midStream: true });
    const mid = await caught(provider().chatStream({ model: 'llama3.1', messages: [], tools: [] }, { onText: () => undefined }));
    expect(mid.code).toBe(ERROR_CODES.PROVIDER_ERROR);
    expect(mid.message).toContain('out of memory');
  });

  it('maps connection refused to PROVIDER_UNREACHABLE naming the host without credentials', async () => {
    const port = await closedPort();
    const p = createOllamaProvider({ host: `http://admin:s3cret@127.0.0.1:${port}`, model: 'llama3.1', timeoutMs: 5_000 });
    const err = await caught(p.chat({ model: 'llama3.1', messages: [{ role: 'user', content: 'hi' }], tools: [] }));
    expect(err.code).toBe(ERROR_CODES.PROVIDER_UNREACHABLE);
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toContain('OLLAMA_HOST');
    expect(err.message).not.toContain('s3cret');
    const health = await p.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('Cannot reach Ollama');
  });

  it('moves credentials in the host into a basic auth header', async () => {
    const url = new URL(fake.url);
    const p = createOllamaProvider({ host: `http://admin:s3cret@127.0.0.1:${url.port}`, model: 'llama3.1', timeoutMs: 5_000 });
    expect(p.host).not.toContain('s3cret');
    const res = await p.chat({ model: 'llama3.1', messages: [{ role: 'user', content: 'authed' }], tools: [] });
    expect(res.text).toBe('authed');
    expect(fake.requests.at(-1)!.authorization).toBe(`Basic ${Buffer.from('admin:s3cret').toString('base64')}`);
  });

  it('reads hosts the way OLLAMA_HOST is written', () => {
    expect(normalizeOllamaHost('localhost').host).toBe('http://localhost:11434');
    expect(normalizeOllamaHost('10.0.0.5:8080').host).toBe('http://10.0.0.5:8080');
    expect(normalizeOllamaHost('https://ollama.example.org').host).toBe('https://ollama.example.org');
    expect(normalizeOllamaHost('http://127.0.0.1:11434/').host).toBe('http://127.0.0.1:11434');
    expect(() => normalizeOllamaHost('http://[bad')).toThrow(/provider.host/);
  });

  it('maps a dropped connection to PROVIDER_UNREACHABLE', async () => {
    fake.enqueue(turns.disconnect());
    const err = await caught(provider().chat({ model: 'llama3.1', messages: [], tools: [] }));
    expect(err.code).toBe(ERROR_CODES.PROVIDER_UNREACHABLE);
  });

  it('times out a slow model with PROVIDER_TIMEOUT, streaming or not', async () => {
    const p = createOllamaProvider({ host: fake.url, model: 'llama3.1', timeoutMs: 200 });
    fake.enqueue(turns.delay(10_000, turns.text('too late')));
    const err = await caught(p.chat({ model: 'llama3.1', messages: [], tools: [] }));
    expect(err.code).toBe(ERROR_CODES.PROVIDER_TIMEOUT);
    expect(err.message).toContain('provider.timeout_ms');
    fake.enqueue(turns.delay(10_000, turns.text('too late')));
    const streamed = await caught(p.chatStream({ model: 'llama3.1', messages: [], tools: [] }, { onText: () => undefined }));
    expect(streamed.code).toBe(ERROR_CODES.PROVIDER_TIMEOUT);
  });

  it('hands back the caller abort reason when the caller cancels', async () => {
    fake.enqueue(turns.delay(10_000));
    const controller = new AbortController();
    const reason = new SecureSphereError(ERROR_CODES.TURN_TIMEOUT, 'turn took too long');
    setTimeout(() => controller.abort(reason), 50);
    const err = await caught(provider().chat({ model: 'llama3.1', messages: [], tools: [], signal: controller.signal }));
    expect(err).toBe(reason);
  });

  it('answers with the default echo turn when the queue is empty', async () => {
    const res = await provider().chat({ model: 'llama3.1', messages: [{ role: 'user', content: 'ping 42' }], tools: [] });
    expect(res.text).toBe('ping 42');
  });

  it('reports health: reachable with model, reachable without model', async () => {
    const ok = await provider().health();
    expect(ok.ok).toBe(true);
    expect(ok.detail).toContain('0.12.6');
    const missing = await createOllamaProvider({ host: fake.url, model: 'qwen2.5', timeoutMs: 5_000 }).health();
    expect(missing.ok).toBe(false);
    expect(missing.detail).toContain('ollama pull qwen2.5');
    expect(fake.requests.some((r) => r.path === '/api/tags')).toBe(true);
  });
});
