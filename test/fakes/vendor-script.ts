// The script vocabulary shared by the cloud-vendor stand-ins (OpenAI, Mistral, Anthropic,
// Google): what the fake model does for one request. Each fake renders these in its vendor's
// own wire format; the token counts are deterministic so tests can compare usage exactly.

export interface ScriptedToolCall {
  name: string;
  arguments: Record<string, unknown>;
  id?: string;
}

export type VendorTurn =
  /** A plain answer; `chunks` controls the streamed pieces (default: by word). */
  | { type: 'text'; text: string; chunks?: string[] }
  /** One or more tool calls in one turn, optionally after some text. */
  | { type: 'tool_calls'; calls: ScriptedToolCall[]; text?: string }
  /** An HTTP error in the vendor's error shape, with Retry-After when `retryAfterSec` is set. */
  | { type: 'error'; status: number; message: string; retryAfterSec?: number }
  /** Wait before answering with `then` (default: the default turn). */
  | { type: 'delay'; ms: number; then?: VendorTurn }
  /** Streaming: a first good chunk, then a chunk that is not JSON. Non-streaming: a body that is not JSON. */
  | { type: 'malformed' }
  /** Drop the connection without answering. */
  | { type: 'disconnect' };

export const vendorTurns = {
  text: (text: string, chunks?: string[]): VendorTurn => ({ type: 'text', text, ...(chunks ? { chunks } : {}) }),
  toolCall: (name: string, args: Record<string, unknown>, id?: string): VendorTurn => ({ type: 'tool_calls', calls: [{ name, arguments: args, ...(id ? { id } : {}) }] }),
  toolCalls: (calls: ScriptedToolCall[], text?: string): VendorTurn => ({ type: 'tool_calls', calls, ...(text ? { text } : {}) }),
  error: (status: number, message: string, retryAfterSec?: number): VendorTurn => ({ type: 'error', status, message, ...(retryAfterSec !== undefined ? { retryAfterSec } : {}) }),
  delay: (ms: number, then?: VendorTurn): VendorTurn => ({ type: 'delay', ms, ...(then ? { then } : {}) }),
  malformed: (): VendorTurn => ({ type: 'malformed' }),
  disconnect: (): VendorTurn => ({ type: 'disconnect' }),
};

/** A rough token count, so usage looks plausible without a tokenizer (same rule as fake Ollama). */
export function roughTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Splits a text into streaming chunks the way a model emits tokens: words with their spaces. */
export function splitWords(text: string): string[] {
  const parts = text.match(/\S+\s*|\s+/g);
  return parts && parts.length > 0 ? parts : [text];
}

export interface Usage {
  input: number;
  output: number;
}

/** The usage a fake reports for an answer: prompt text in, text plus tool-call JSON out. */
export function usageFor(promptText: string, turn: VendorTurn): Usage {
  const out = turn.type === 'text' ? turn.text : turn.type === 'tool_calls' ? (turn.text ?? '') + JSON.stringify(turn.calls) : '';
  return { input: roughTokens(promptText), output: roughTokens(out) };
}
