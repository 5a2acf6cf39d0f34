// Translation between SecureSphere's normalized chat and OpenAI chat completions, in both
// directions. Pure functions, no I/O.
import type OpenAI from 'openai';
import type { ChatMessage } from '../../../core/types.js';
import type { ChatResponse, StopReason, TokenUsage, ToolDefinition } from '../../provider.js';
import { argumentsText, parseArguments } from '../../tool-call-assembler.js';
import { newId } from '../../../core/ids.js';

type WireMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type WireTool = OpenAI.Chat.Completions.ChatCompletionTool;

export function toOpenAIMessages(messages: ChatMessage[]): WireMessage[] {
  return messages.map((m): WireMessage => {
    switch (m.role) {
      case 'system':
        return { role: 'system', content: m.content };
      case 'user':
        return { role: 'user', content: m.content };
      case 'assistant':
        return m.toolCalls && m.toolCalls.length > 0
          ? {
              role: 'assistant',
              content: m.content === '' ? null : m.content,
              tool_calls: m.toolCalls.map((tc) => ({ id: tc.id, type: 'function' as const, function: { name: tc.name, arguments: argumentsText(tc.arguments) } })),
            }
          : { role: 'assistant', content: m.content };
      case 'tool':
        return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
    }
  });
}

export function toOpenAITools(tools: ToolDefinition[]): WireTool[] {
  return tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
}

export function stopReasonOf(finish: string | null | undefined): StopReason {
  switch (finish) {
    case 'stop':
      return 'end';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'length':
      return 'max_tokens';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

export function usageOf(usage: { prompt_tokens?: number; completion_tokens?: number } | null | undefined): TokenUsage | undefined {
  if (!usage) return undefined;
  return { inputTokens: usage.prompt_tokens ?? 0, outputTokens: usage.completion_tokens ?? 0 };
}

export function fromOpenAICompletion(res: OpenAI.Chat.Completions.ChatCompletion): ChatResponse {
  const choice = res.choices[0];
  const message = choice?.message;
  const toolCalls = (message?.tool_calls ?? []).flatMap((tc) =>
    tc.type === 'function' ? [{ id: tc.id || newId('call'), name: tc.function.name, arguments: parseArguments(tc.function.arguments) }] : [],
  );
  const usage = usageOf(res.usage);
  return {
    text: message?.content ?? '',
    toolCalls,
    stopReason: stopReasonOf(choice?.finish_reason),
    ...(usage ? { usage } : {}),
  };
}
