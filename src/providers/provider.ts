// The Provider interface: a translation layer between SecureSphere's normalized chat request
// and one vendor's API. A provider does nothing else: no policy, no storage, no retries
// across vendors (the manager does failover).
import type { ChatMessage, ToolCall } from '../core/types.js';

/** A tool as offered to the model: `<skill>_<operation>` plus a JSON Schema of its input. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema (draft 2020-12 subset) of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface ChatRequest {
  /** Model name as the vendor knows it. */
  model: string;
  messages: ChatMessage[];
  tools: ToolDefinition[];
  signal?: AbortSignal;
}

export interface ChatResponse {
  text: string;
  toolCalls: ToolCall[];
  usage?: { inputTokens?: number; outputTokens?: number };
}

export interface ProviderHealth {
  ok: boolean;
  detail: string;
}

export interface Provider {
  /** Vendor name, e.g. "ollama". */
  readonly name: string;
  chat(request: ChatRequest): Promise<ChatResponse>;
  /** Optional streaming: yields text deltas, then resolves to the full response. */
  chatStream?(request: ChatRequest, onText: (delta: string) => void): Promise<ChatResponse>;
  health(): Promise<ProviderHealth>;
}
