// The pure parts of the embedded provider: skill schemas reduced to what the grammar enforces,
// the model's JSON reply parsed into text or a tool call, the conversation mapped onto a chat
// template without a tool role, and the answer text streamed out of the JSON as it comes.
import { describe, expect, it } from 'vitest';
import { createAnswerStream } from '../../src/providers/vendors/llama-cpp/answer-stream.js';
import { toLlamaHistory } from '../../src/providers/vendors/llama-cpp/llama-cpp.js';
import { TRUNCATED_REPLY, parseReply, replyGrammarSchema, toGrammarSchema, toolInstructions } from '../../src/providers/vendors/llama-cpp/tool-grammar.js';
import type { ToolDefinition } from '../../src/providers/provider.js';

const tools: ToolDefinition[] = [
  { name: 'filesystem_list', description: 'List a directory.', parameters: { type: 'object', properties: { path: { type: 'string', pattern: '^[^\\0]*$', maxLength: 4096 } }, required: ['path'], additionalProperties: false } },
  { name: 'shell_run', description: 'Run a program.', parameters: { type: 'object', properties: { argv: { type: 'array', items: { type: 'string' }, minItems: 1 }, timeout_ms: { type: ['integer', 'null'] }, mode: { enum: ['fast', 'slow', { no: 1 }] } }, required: ['argv', 'missing'] } },
];

describe('tool schemas as a grammar', () => {
  it('keeps types, properties, required, items, enums and lengths, and drops what the grammar cannot enforce', () => {
    expect(toGrammarSchema(tools[0]!.parameters)).toEqual({ type: 'object', properties: { path: { type: 'string', maxLength: 4096 } }, required: ['path'], additionalProperties: false });
    expect(toGrammarSchema(tools[1]!.parameters)).toEqual({
      type: 'object',
      properties: { argv: { type: 'array', items: { type: 'string' }, minItems: 1 }, timeout_ms: { type: ['integer', 'null'] }, mode: { enum: ['fast', 'slow'] } },
      // A required key the schema never defines cannot be produced: it is not demanded.
      required: ['argv'],
      additionalProperties: false,
    });
    expect(toGrammarSchema({ anyOf: [{ type: 'string' }, { const: 3 }] })).toEqual({ oneOf: [{ type: 'string' }, { const: 3 }] });
    expect(toGrammarSchema({ type: ['object', 'string'], properties: {} })).toEqual({ oneOf: [{ type: 'object', properties: {}, required: [], additionalProperties: false }, { type: 'string' }] });
  });

  it('stops at a fixed depth instead of following a hostile schema down', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 5000; i++) deep = { type: 'object', properties: { a: deep } };
    const json = JSON.stringify(toGrammarSchema(deep));
    expect(json.split('"properties"').length - 1).toBeLessThanOrEqual(9);
  });

  it('offers every tool and a plain answer, and tells the model the format', () => {
    const schema = replyGrammarSchema(tools) as { oneOf: Array<{ properties: Record<string, unknown> }> };
    expect(schema.oneOf.map((s) => s.properties.tool ?? Object.keys(s.properties))).toEqual([{ const: 'filesystem_list' }, { const: 'shell_run' }, ['answer']]);
    const text = toolInstructions(tools);
    expect(text).toContain('{"tool": "<tool name>", "arguments"');
    expect(text).toContain('- shell_run: Run a program.');
  });

  it('parses a reply into an answer or exactly one call of an offered tool', () => {
    expect(parseReply('{"answer": "Paris"}', tools)).toEqual({ text: 'Paris', toolCalls: [] });
    const call = parseReply('{"tool": "filesystem_list", "arguments": {"path": "."}}', tools);
    expect(call.text).toBe('');
    expect(call.toolCalls).toEqual([{ id: expect.stringMatching(/^call_/), name: 'filesystem_list', arguments: { path: '.' } }]);
    // A tool that was not offered is never called; text that is not JSON is the answer itself.
    expect(parseReply('{"tool": "vault_dump", "arguments": {}}', tools).toolCalls).toEqual([]);
    expect(parseReply('  plain words ', [])).toEqual({ text: 'plain words', toolCalls: [] });
    // Cut off by the token limit: the answer so far, or a clear note; a half tool call never runs.
    expect(parseReply('{"answer": "Paris is the cap', tools)).toEqual({ text: 'Paris is the cap …', toolCalls: [] });
    expect(parseReply('{"tool": "filesystem_list", "arguments": {"path": "/a/very/lo', tools)).toEqual({ text: TRUNCATED_REPLY, toolCalls: [] });
  });
});

describe('conversation onto a chat template', () => {
  it('puts the tool instructions in the system turn and tool results in user turns', () => {
    const history = toLlamaHistory(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'list it' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'filesystem_list', arguments: { path: '.' } }] },
        { role: 'tool', content: 'a.txt', toolCallId: 'c1', toolName: 'filesystem_list' },
        { role: 'assistant', content: 'There is a.txt' },
      ],
      'TOOLS',
    );
    expect(history).toEqual([
      { type: 'system', text: 'Be brief.\n\nTOOLS' },
      { type: 'user', text: 'list it' },
      { type: 'model', response: ['{"tool":"filesystem_list","arguments":{"path":"."}}'] },
      { type: 'user', text: 'Result of filesystem_list:\na.txt' },
      { type: 'model', response: ['{"answer":"There is a.txt"}'] },
    ]);
    expect(toLlamaHistory([{ role: 'user', content: 'hi' }], 'TOOLS')[0]).toEqual({ type: 'system', text: 'TOOLS' });
    expect(toLlamaHistory([{ role: 'assistant', content: 'plain' }], undefined)).toEqual([{ type: 'model', response: ['plain'] }]);
  });
});

describe('answer streaming', () => {
  function feed(chunks: string[]): string[] {
    const out: string[] = [];
    const push = createAnswerStream((t) => out.push(t));
    for (const c of chunks) push(c);
    return out;
  }

  it('emits the decoded answer as it comes, escapes split across chunks included', () => {
    const out = feed(['{', '\n  "ans', 'wer": "Hel', 'lo \\', 'n wor', 'ld \\u00', 'e9 \\ud83d', '\\ude00 \\"q\\""', ', "x": "no"}']);
    expect(out.join('')).toBe('Hello \n world é 😀 "q"');
    expect(out.length).toBeGreaterThan(3);
  });

  it('emits nothing for a tool call', () => {
    expect(feed(['{"tool": "shell_run", "arguments": {"argv": ["answer"]}}'])).toEqual([]);
    expect(feed(['{"to', 'ol": "x"}'])).toEqual([]);
  });
});
