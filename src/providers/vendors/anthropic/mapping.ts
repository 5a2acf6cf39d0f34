// Translation between SecureSphere's normalized chat and Anthropic's Messages API: system
// prompt as its own field, tool calls as tool_use blocks, their results as tool_result blocks
// in a user turn, consecutive same-role turns merged (the API wants them alternating).
// Pure functions, no I/O.
import type Anthropic from '@anthropic-ai/sdk';
import type { ChatMessage } from '../../../core/types.js';
import type { ChatResponse, StopReason, TokenUsage, ToolDefinition } from '../../provider.js';
import { boundedArguments, parseArguments } from '../../tool-call-assembler.js';

type Block = Anthropic.Messages.ContentBlockParam;
type WireMessage = Anthropic.Messages.MessageParam;

export function toAnthropicRequest(messages: ChatMessage[]): { system: string | undefined; messages: WireMessage[] } {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const out: Array<{ role: 'user' | 'assistant'; content: Block[] }> = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]): void => {
    if (blocks.length === 0) return;
    const last = out.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        break;
      case 'user':
        push('user', [{ type: 'text', text: m.content }]);
        break;
      case 'assistant': {
        const blocks: Block[] = m.content !== '' ? [{ type: 'text', text: m.content }] : [];
        for (const tc of m.toolCalls ?? []) blocks.push({ type: 'tool_use', id: tc.id, name: tc.name, input: inputObject(tc.arguments) });
        // The API refuses empty and whitespace-only text blocks: an empty turn is left out.
        push('assistant', blocks);
        break;
      }
      case 'tool':
        push('user', [{ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content }]);
        break;
    }
  }
  return { system: system.length > 0 ? system.join('\n\n') : undefined, messages: out };
}

function inputObject(value: unknown): Record<string, unknown> {
  const parsed = typeof value === 'string' ? parseArguments(value) : value;
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

export function toAnthropicTools(tools: ToolDefinition[]): Anthropic.Messages.Tool[] {
  return tools.map((t) => ({ name: t.name, description: t.description, input_schema: { type: 'object', ...t.parameters } }));
}

export function stopReasonOf(reason: string | null | undefined): StopReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'end';
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
      return 'max_tokens';
    case 'refusal':
      return 'content_filter';
    default:
      return 'other';
  }
}

export function usageOf(usage: { input_tokens?: number | null; output_tokens?: number | null } | undefined): TokenUsage | undefined {
  if (!usage) return undefined;
  return { inputTokens: usage.input_tokens ?? 0, outputTokens: usage.output_tokens ?? 0 };
}

export function fromAnthropicMessage(res: Anthropic.Messages.Message): ChatResponse {
  let text = '';
  const toolCalls: ChatResponse['toolCalls'] = [];
  for (const block of res.content) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'tool_use') toolCalls.push({ id: block.id, name: block.name, arguments: boundedArguments(block.input ?? {}) });
  }
  const usage = usageOf(res.usage);
  return { text, toolCalls, stopReason: stopReasonOf(res.stop_reason), ...(usage ? { usage } : {}) };
}
