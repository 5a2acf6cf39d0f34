// The embedded llama-cpp provider with a real model (SmolLM2-135M-Instruct, Q4_1): the model's
// own chat template and tokenizer, streaming, a tool call produced under the grammar built
// from the offered tools' schemas, usage numbers, one model serving queued requests, health,
// and a clear error for a missing file. Asserts structure, never the model's wording.
import { afterAll, describe, expect, it } from 'vitest';
import { isSecureSphereError } from '../../src/core/errors.js';
import { createLlamaCppProvider } from '../../src/providers/vendors/llama-cpp/llama-cpp.js';
import type { ToolDefinition } from '../../src/providers/provider.js';
import { embeddedTestModel } from '../helpers/embedded-model.js';

const modelFile = embeddedTestModel();
const tools: ToolDefinition[] = [
  { name: 'filesystem_list', description: 'List the files and folders in a directory of the workspace.', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false } },
  { name: 'shell_run', description: 'Run one program with arguments.', parameters: { type: 'object', properties: { argv: { type: 'array', items: { type: 'string' }, minItems: 1 } }, required: ['argv'] } },
];

describe.skipIf(!modelFile)('embedded llama-cpp provider with a real model', () => {
  const provider = createLlamaCppProvider({ modelPath: modelFile ?? '', contextSize: 2048, maxOutputTokens: 48, temperature: 0 });
  afterAll(() => provider.close());

  it('answers plain text through the model template, streams it, and reports usage and a stop reason', async () => {
    const deltas: string[] = [];
    const res = await provider.chatStream(
      { model: 'smollm2', tools: [], messages: [{ role: 'system', content: 'You are brief.' }, { role: 'user', content: 'What is the capital of France?' }] },
      { onText: (d) => deltas.push(d) },
    );
    expect(res.text.length).toBeGreaterThan(0);
    expect(res.toolCalls).toEqual([]);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('').trim()).toBe(res.text);
    expect(res.usage!.inputTokens).toBeGreaterThan(5);
    expect(res.usage!.outputTokens).toBeGreaterThan(0);
    expect(['end', 'max_tokens']).toContain(res.stopReason);
  }, 120_000);

  it('with tools, every reply is an answer or a call of an offered tool whose arguments fit its schema', async () => {
    for (const question of ['List the files in the workspace.', 'Call the filesystem_list tool with the path ".".', 'What is two plus two?']) {
      const res = await provider.chat({ model: 'smollm2', tools, messages: [{ role: 'system', content: 'You are SecureSphere, a helpful assistant.' }, { role: 'user', content: question }] });
      if (res.toolCalls.length > 0) {
        // The grammar made the call well-formed: one offered tool, arguments of its schema's shape.
        expect(res.toolCalls).toHaveLength(1);
        const call = res.toolCalls[0]!;
        if (call.name === 'filesystem_list') expect(call.arguments).toEqual({ path: expect.any(String) });
        else expect(call).toMatchObject({ name: 'shell_run', arguments: { argv: expect.any(Array) } });
        expect(res.text).toBe('');
        expect(res.stopReason).toBe('tool_calls');
      } else {
        // An answer is the decoded text, never the JSON the grammar made the model write.
        expect(res.text.length).toBeGreaterThan(0);
        expect(res.text.trimStart().startsWith('{')).toBe(false);
      }
    }
  }, 180_000);

  it('an explicit request for a tool is a tool call (greedy decoding: repeatable)', async () => {
    const res = await provider.chat({
      model: 'smollm2',
      tools: [tools[0]!],
      messages: [{ role: 'system', content: 'You are SecureSphere, a helpful assistant.' }, { role: 'user', content: 'Call the filesystem_list tool with the path ".".' }],
    });
    expect(res.toolCalls).toEqual([{ id: expect.any(String), name: 'filesystem_list', arguments: { path: expect.any(String) } }]);
  }, 120_000);

  it('serves concurrent requests one at a time on its one model, and reports memory and context in health', async () => {
    const ask = (q: string) => provider.chat({ model: 'smollm2', tools: [], maxOutputTokens: 8, messages: [{ role: 'user', content: q }] });
    const [a, b] = await Promise.all([ask('Say hi.'), ask('Say bye.')]);
    expect(a.usage!.outputTokens).toBeGreaterThan(0);
    expect(b.usage!.outputTokens).toBeGreaterThan(0);
    const health = await provider.health();
    expect(health.ok).toBe(true);
    expect(health).toMatchObject({ contextSize: 2048, queued: 0 });
    expect(health.detail).toMatch(/MiB weights, context 2048 tokens/);
  }, 120_000);
});

describe('embedded llama-cpp provider without its file', () => {
  it('says to pull the model, in health and on a request', async () => {
    const provider = createLlamaCppProvider({ modelPath: '/nonexistent/model.gguf', contextSize: 512, maxOutputTokens: 8, temperature: 0 });
    expect(await provider.health()).toMatchObject({ ok: false, detail: expect.stringContaining('securesphere model pull') });
    const err = await provider.chat({ model: 'x', tools: [], messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(isSecureSphereError(err, 'SS_ERR_PROVIDER_MODEL_NOT_FOUND')).toBe(true);
    expect(String((err as Error).message)).toContain('securesphere model pull');
  });
});
