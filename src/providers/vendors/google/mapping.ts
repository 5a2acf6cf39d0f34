// Translation between SecureSphere's normalized chat and Google's generateContent: the system
// prompt as systemInstruction, turns as `contents` with roles user/model, tool calls as
// functionCall parts, their results as functionResponse parts (an object, so a plain-text
// result is wrapped as {result}). Pure functions, no I/O.
import type { Content, FunctionDeclaration, GenerateContentResponse, Part } from '@google/genai';
import { newId } from '../../../core/ids.js';
import type { ChatMessage } from '../../../core/types.js';
import type { ChatResponse, StopReason, TokenUsage, ToolDefinition } from '../../provider.js';
import { boundedArguments, parseArguments } from '../../tool-call-assembler.js';

export function toGoogleRequest(messages: ChatMessage[]): { systemInstruction: string | undefined; contents: Content[] } {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const contents: Content[] = [];
  const push = (role: 'user' | 'model', parts: Part[]): void => {
    const last = contents.at(-1);
    if (last && last.role === role) last.parts!.push(...parts);
    else contents.push({ role, parts });
  };
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        break;
      case 'user':
        push('user', [{ text: m.content }]);
        break;
      case 'assistant': {
        const parts: Part[] = m.content !== '' ? [{ text: m.content }] : [];
        for (const tc of m.toolCalls ?? []) parts.push({ functionCall: { id: tc.id, name: tc.name, args: argsObject(tc.arguments) } });
        if (parts.length > 0) push('model', parts);
        break;
      }
      case 'tool':
        push('user', [{ functionResponse: { id: m.toolCallId, name: m.toolName, response: responseObject(m.content) } }]);
        break;
    }
  }
  return { systemInstruction: system.length > 0 ? system.join('\n\n') : undefined, contents };
}

function argsObject(value: unknown): Record<string, unknown> {
  const parsed = typeof value === 'string' ? parseArguments(value) : value;
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

/** The tool's output as the object functionResponse needs: always {result: <text>}. */
function responseObject(content: string): Record<string, unknown> {
  return { result: content };
}

export function toGoogleTools(tools: ToolDefinition[]): Array<{ functionDeclarations: FunctionDeclaration[] }> {
  if (tools.length === 0) return [];
  return [{ functionDeclarations: tools.map((t) => ({ name: t.name, description: t.description, parametersJsonSchema: t.parameters })) }];
}

export function stopReasonOf(reason: string | null | undefined, sawToolCalls: boolean): StopReason {
  if (sawToolCalls) return 'tool_calls';
  switch (reason) {
    case 'STOP':
    case undefined:
      return 'end';
    case 'MAX_TOKENS':
      return 'max_tokens';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
      return 'content_filter';
    default:
      return 'other';
  }
}

export function usageOf(res: GenerateContentResponse): TokenUsage | undefined {
  const u = res.usageMetadata;
  if (!u) return undefined;
  return { inputTokens: u.promptTokenCount ?? 0, outputTokens: u.candidatesTokenCount ?? 0 };
}

/** Text and tool calls of one response (or one streamed chunk). */
export function partsOf(res: GenerateContentResponse): { text: string; toolCalls: ChatResponse['toolCalls'] } {
  let text = '';
  const toolCalls: ChatResponse['toolCalls'] = [];
  for (const part of res.candidates?.[0]?.content?.parts ?? []) {
    if (typeof part.text === 'string' && !part.thought) text += part.text;
    if (part.functionCall) toolCalls.push({ id: part.functionCall.id || newId('call'), name: part.functionCall.name ?? '', arguments: boundedArguments(part.functionCall.args ?? {}) });
  }
  return { text, toolCalls };
}

export function fromGoogleResponse(res: GenerateContentResponse): ChatResponse {
  const { text, toolCalls } = partsOf(res);
  const usage = usageOf(res);
  return { text, toolCalls, stopReason: stopReasonOf(res.candidates?.[0]?.finishReason, toolCalls.length > 0), ...(usage ? { usage } : {}) };
}
