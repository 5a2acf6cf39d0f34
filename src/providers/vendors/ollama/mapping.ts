// Translation between SecureSphere's normalized chat shapes and Ollama's /api/chat wire shapes.
// Pure functions: no I/O, so the mapping can be read and tested on its own.
import type { ChatResponse as OllamaChatResponse, Message as OllamaMessage, Tool as OllamaTool } from 'ollama';
import { newId } from '../../../core/ids.js';
import { exceedsDepth, TOO_DEEP_ARGUMENTS } from '../../../core/input-depth.js';
import type { ChatMessage, ToolCall } from '../../../core/types.js';
import type { ChatResponse, StopReason, ToolDefinition } from '../../provider.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Ollama only accepts an object for `function.arguments`; anything else fails the whole request
 * with HTTP 400 and would poison the conversation's history forever. A model that produced a JSON
 * string gets it parsed; anything unusable becomes `{}` (the orchestrator already told the model
 * its arguments were invalid when it first saw them).
 */
export function toArgumentsObject(value: unknown): Record<string, unknown> {
  if (isPlainObject(value)) return value;
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isPlainObject(parsed)) return parsed;
    } catch {
      // not JSON: fall through
    }
  }
  return {};
}

export function toOllamaMessages(messages: ChatMessage[]): OllamaMessage[] {
  return messages.map((m): OllamaMessage => {
    switch (m.role) {
      case 'system':
      case 'user':
        return { role: m.role, content: m.content };
      case 'assistant':
        return m.toolCalls && m.toolCalls.length > 0
          ? {
              role: 'assistant',
              content: m.content,
              tool_calls: m.toolCalls.map((tc) => ({
                function: { name: tc.name, arguments: toArgumentsObject(tc.arguments) },
              })),
            }
          : { role: 'assistant', content: m.content };
      case 'tool':
        // Ollama matches a result to its call by tool name (and order), not by id.
        return { role: 'tool', content: m.content, tool_name: m.toolName };
    }
  });
}

export function toOllamaTools(tools: ToolDefinition[]): OllamaTool[] {
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: t.parameters as OllamaTool['function']['parameters'] },
  }));
}

/** Tool calls from the wire; ids are generated when the Ollama version sends none. */
export function fromOllamaToolCalls(calls: unknown): ToolCall[] {
  if (!Array.isArray(calls)) return [];
  const out: ToolCall[] = [];
  for (const call of calls) {
    if (!isPlainObject(call) || !isPlainObject(call.function)) continue;
    const fn = call.function;
    const name = typeof fn.name === 'string' ? fn.name : '';
    const id = typeof call.id === 'string' && call.id !== '' ? call.id : newId('call');
    // Arguments stay as the model produced them: the orchestrator validates, not the provider.
    // Only arguments nested deeper than the input limit are dropped here, so the history that is
    // stored and sent back to the model never carries them (the orchestrator refuses the call).
    const args = fn.arguments ?? {};
    out.push({ id, name, arguments: exceedsDepth(args) ? TOO_DEEP_ARGUMENTS : args });
  }
  return out;
}

export function fromOllamaResponse(res: OllamaChatResponse): ChatResponse {
  return {
    text: typeof res.message?.content === 'string' ? res.message.content : '',
    toolCalls: fromOllamaToolCalls(res.message?.tool_calls),
    usage: usageOf(res),
    stopReason: stopReasonOf(res),
  };
}

/** Ollama says "stop" or "length"; a turn that asked for tools stopped for them. */
export function stopReasonOf(res: Partial<OllamaChatResponse>, sawToolCalls = false): StopReason {
  if (sawToolCalls || (res.message?.tool_calls?.length ?? 0) > 0) return 'tool_calls';
  if (res.done_reason === 'length') return 'max_tokens';
  return res.done_reason === 'stop' || res.done_reason === undefined ? 'end' : 'other';
}

export function usageOf(res: Partial<OllamaChatResponse>): ChatResponse['usage'] {
  const usage: NonNullable<ChatResponse['usage']> = {};
  if (typeof res.prompt_eval_count === 'number') usage.inputTokens = res.prompt_eval_count;
  if (typeof res.eval_count === 'number') usage.outputTokens = res.eval_count;
  return usage.inputTokens === undefined && usage.outputTokens === undefined ? undefined : usage;
}
