// How a small local model that has no function calling of its own still calls tools: every
// reply is one JSON object, constrained by a grammar built from the offered tools' schemas —
// either {"answer": "..."} or {"tool": "<name>", "arguments": {...}}. The model chooses; the
// grammar makes whatever it chooses well-formed (the orchestrator still validates arguments).
// Pure functions, no I/O: the schema conversion and the parsing are tested on their own.
import { newId } from '../../../core/ids.js';
import type { ToolCall } from '../../../core/types.js';
import type { ToolDefinition } from '../../provider.js';
import { createAnswerStream } from './answer-stream.js';

/** The subset of JSON Schema the grammar compiler understands (node-llama-cpp's GbnfJsonSchema). */
export type GrammarSchema = Record<string, unknown>;

/** Deeper tool schemas are cut to "any JSON value" of their type: the grammar stays small. */
const MAX_SCHEMA_DEPTH = 8;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/**
 * A skill's JSON Schema reduced to what the grammar can enforce: types, properties, required,
 * items, enum, const, oneOf/anyOf, string length and item counts. Anything else (patterns,
 * formats it lacks, bounds) is dropped here and checked by the orchestrator's validation.
 */
export function toGrammarSchema(schema: unknown, depth = 0): GrammarSchema {
  if (!isObject(schema) || depth > MAX_SCHEMA_DEPTH) return { type: ['string', 'number', 'boolean', 'null'] };
  if ('const' in schema && ['string', 'number', 'boolean'].includes(typeof schema.const)) return { const: schema.const };
  if (Array.isArray(schema.enum)) {
    const values = schema.enum.filter((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v));
    if (values.length > 0) return { enum: values };
  }
  const alternatives = Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : undefined;
  if (alternatives && alternatives.length > 0) return { oneOf: alternatives.map((s) => toGrammarSchema(s, depth + 1)) };
  const type = schema.type;
  if (Array.isArray(type)) {
    const types = type.filter((t): t is string => typeof t === 'string');
    if (types.every((t) => SCALAR_TYPES.has(t))) return { type: types };
    return { oneOf: types.map((t) => toGrammarSchema({ ...schema, type: t }, depth + 1)) };
  }
  switch (type) {
    case 'object': {
      const properties: Record<string, GrammarSchema> = {};
      if (isObject(schema.properties)) {
        for (const [key, value] of Object.entries(schema.properties)) properties[key] = toGrammarSchema(value, depth + 1);
      }
      const required = Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === 'string' && Object.hasOwn(properties, k)) : [];
      return { type: 'object', properties, required, additionalProperties: false };
    }
    case 'array': {
      const out: GrammarSchema = { type: 'array', items: toGrammarSchema(schema.items, depth + 1) };
      if (typeof schema.minItems === 'number') out.minItems = schema.minItems;
      if (typeof schema.maxItems === 'number') out.maxItems = schema.maxItems;
      return out;
    }
    case 'string': {
      const out: GrammarSchema = { type: 'string' };
      if (typeof schema.minLength === 'number') out.minLength = schema.minLength;
      if (typeof schema.maxLength === 'number') out.maxLength = schema.maxLength;
      return out;
    }
    case 'number':
    case 'integer':
    case 'boolean':
    case 'null':
      return { type };
    default:
      return { type: ['string', 'number', 'boolean', 'null'] };
  }
}

/** The grammar of one reply: an answer, or a call of exactly one of the offered tools. */
export function replyGrammarSchema(tools: ToolDefinition[]): GrammarSchema {
  return {
    oneOf: [
      ...tools.map((t) => ({
        type: 'object',
        properties: { tool: { const: t.name }, arguments: toGrammarSchema(t.parameters) },
        required: ['tool', 'arguments'],
        additionalProperties: false,
      })),
      { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false },
    ],
  };
}

/** What the model is told about the tools and the reply format (appended to the system prompt). */
export function toolInstructions(tools: ToolDefinition[]): string {
  const lines = tools.map((t) => `- ${t.name}: ${t.description} Arguments (JSON Schema): ${JSON.stringify(t.parameters)}`);
  return [
    'You can use tools. Reply with exactly one JSON object and nothing else:',
    '- to call a tool: {"tool": "<tool name>", "arguments": {<the arguments>}}',
    '- to answer the user: {"answer": "<your answer>"}',
    'Call a tool when the user asks for something a tool does; answer when you have what you need.',
    'Tools:',
    ...lines,
  ].join('\n');
}

/** What the user sees when the model's reply was cut off before it made sense. */
export const TRUNCATED_REPLY = 'The model ran out of room for its reply (provider max_output_tokens) before it finished; ask again, more specifically.';

export interface ParsedReply {
  text: string;
  toolCalls: ToolCall[];
}

/** The model's grammar-constrained reply as text or a tool call; text that is not such JSON is the answer itself. */
export function parseReply(raw: string, tools: ToolDefinition[]): ParsedReply {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    // Cut off by the token limit mid-JSON: keep what there is of an answer; a half tool call is
    // never run, and JSON is never shown to the user as if it were the answer.
    let partial = '';
    createAnswerStream((t) => (partial += t))(raw);
    if (partial.trim()) return { text: `${partial.trim()} …`, toolCalls: [] };
    if (/^\s*\{/.test(raw)) return { text: TRUNCATED_REPLY, toolCalls: [] };
    return { text: raw.trim(), toolCalls: [] };
  }
  if (isObject(value) && typeof value.tool === 'string' && tools.some((t) => t.name === value.tool)) {
    return { text: '', toolCalls: [{ id: newId('call'), name: value.tool, arguments: value.arguments ?? {} }] };
  }
  if (isObject(value) && typeof value.answer === 'string') return { text: value.answer, toolCalls: [] };
  return { text: raw.trim(), toolCalls: [] };
}
