// Collects streamed tool-call fragments (id and name first, arguments as JSON text in pieces)
// into whole tool calls, for vendors that stream them that way (OpenAI, Mistral, Anthropic).
// Arguments that do not parse stay the raw string: the orchestrator validates, not the provider.
import { newId } from '../core/ids.js';
import { exceedsDepth, TOO_DEEP_ARGUMENTS } from '../core/input-depth.js';
import type { ToolCall } from '../core/types.js';
import type { ToolCallDelta } from './provider.js';

export interface ToolCallAssembler {
  add(delta: ToolCallDelta): void;
  /** Whole calls in index order. */
  calls(): ToolCall[];
}

export function createToolCallAssembler(): ToolCallAssembler {
  const parts = new Map<number, { id: string; name: string; args: string; whole?: unknown }>();
  return {
    add(delta) {
      const part = parts.get(delta.index) ?? { id: '', name: '', args: '' };
      if (delta.id) part.id = delta.id;
      if (delta.name) part.name = delta.name;
      if (delta.argumentsDelta) part.args += delta.argumentsDelta;
      parts.set(delta.index, part);
    },
    calls() {
      return [...parts.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, p]) => ({ id: p.id || newId('call'), name: p.name, arguments: parseArguments(p.args) }));
    },
  };
}

/** JSON text of an arguments object -> the object; empty -> {}; unparseable -> the text itself. */
export function parseArguments(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return boundedArguments(JSON.parse(text) as unknown);
  } catch {
    return text;
  }
}

/** Arguments nested deeper than the input limit are dropped for a marker (src/core/input-depth.ts). */
export function boundedArguments(value: unknown): unknown {
  return exceedsDepth(value) ? TOO_DEEP_ARGUMENTS : value;
}

/** Arguments as a JSON object text, whatever form the stored call holds them in. */
export function argumentsText(value: unknown): string {
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return value;
    } catch {
      // not JSON
    }
    return '{}';
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? JSON.stringify(value) : '{}';
}
