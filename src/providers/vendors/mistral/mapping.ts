// Translation between SecureSphere's normalized chat and the Mistral SDK's chat shapes (the
// SDK's camelCase view of the chat-completions wire). Pure functions, no I/O.
import { createHash } from 'node:crypto';
import type * as components from '@mistralai/mistralai/models/components';
import { newId } from '../../../core/ids.js';
import type { ChatMessage } from '../../../core/types.js';
import type { ChatResponse, StopReason, TokenUsage, ToolDefinition } from '../../provider.js';
import { argumentsText, boundedArguments, parseArguments } from '../../tool-call-assembler.js';

type WireMessage = components.ChatCompletionRequest['messages'][number];

/**
 * Mistral accepts only 9-character alphanumeric tool-call ids. Ids another vendor (or the
 * gateway) made are mapped to one, the same way for the call and its result, so a history
 * written by another profile still pairs up.
 */
export function mistralCallId(id: string): string {
  return /^[a-zA-Z0-9]{9}$/.test(id) ? id : createHash('sha256').update(id).digest('hex').slice(0, 9);
}

export function toMistralMessages(messages: ChatMessage[]): WireMessage[] {
  return messages.map((m): WireMessage => {
    switch (m.role) {
      case 'system':
        return { role: 'system', content: m.content };
      case 'user':
        return { role: 'user', content: m.content };
      case 'assistant':
        return m.toolCalls && m.toolCalls.length > 0
          ? { role: 'assistant', content: m.content, toolCalls: m.toolCalls.map((tc) => ({ id: mistralCallId(tc.id), type: 'function', function: { name: tc.name, arguments: argumentsText(tc.arguments) } })) }
          : { role: 'assistant', content: m.content };
      case 'tool':
        return { role: 'tool', content: m.content, toolCallId: mistralCallId(m.toolCallId), name: m.toolName };
    }
  });
}

type WireTool = NonNullable<components.ChatCompletionRequest['tools']>[number];

export function toMistralTools(tools: ToolDefinition[]): WireTool[] {
  return tools.map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: t.parameters } }));
}

export function stopReasonOf(finish: string | null | undefined): StopReason {
  switch (finish) {
    case 'stop':
      return 'end';
    case 'tool_calls':
      return 'tool_calls';
    case 'length':
    case 'model_length':
      return 'max_tokens';
    default:
      return 'other';
  }
}

export function usageOf(usage: components.UsageInfo | undefined): TokenUsage | undefined {
  if (!usage) return undefined;
  return { inputTokens: usage.promptTokens ?? 0, outputTokens: usage.completionTokens ?? 0 };
}

/** Content is a string or a list of chunks; only text chunks make the reply. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((c) => (c && typeof c === 'object' && (c as { type?: unknown }).type === 'text' ? String((c as { text?: unknown }).text ?? '') : '')).join('');
}

export function argsOf(value: unknown): unknown {
  return typeof value === 'string' ? parseArguments(value) : boundedArguments(value ?? {});
}

export function fromMistralResponse(res: components.ChatCompletionResponse): ChatResponse {
  const choice = res.choices[0];
  const message = choice?.message;
  const usage = usageOf(res.usage);
  return {
    text: textOf(message?.content),
    toolCalls: (message?.toolCalls ?? []).map((tc) => ({ id: tc.id || newId('call'), name: tc.function.name, arguments: argsOf(tc.function.arguments) })),
    stopReason: stopReasonOf(choice?.finishReason),
    ...(usage ? { usage } : {}),
  };
}
