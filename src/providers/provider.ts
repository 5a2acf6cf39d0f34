// The Provider interface: a translation layer between SecureSphere's normalized chat request
// and one vendor's API. A provider does nothing else: no policy, no storage, no retries
// across vendors (the manager does failover), no vendor shape outside its own folder.
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
  /** Upper bound on generated tokens, when the profile sets one. */
  maxOutputTokens?: number;
  signal?: AbortSignal;
}

/** Why the model stopped, in the vendor-neutral vocabulary. */
export type StopReason = 'end' | 'tool_calls' | 'max_tokens' | 'content_filter' | 'other';

export interface TokenUsage {
  inputTokens?: number;
  outputTokens?: number;
}

export interface ChatResponse {
  text: string;
  toolCalls: ToolCall[];
  usage?: TokenUsage;
  stopReason?: StopReason;
}

/** A piece of a tool call as it streams: `index` says which call of the turn it belongs to. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  /** A fragment of the JSON arguments text (vendors that send whole objects send it in one piece). */
  argumentsDelta?: string;
}

/** What a streaming call reports while it runs; tool calls are only acted on once complete. */
export interface StreamHandlers {
  onText(delta: string): void;
  onToolCallDelta?(delta: ToolCallDelta): void;
}

export interface ProviderHealth {
  ok: boolean;
  detail: string;
}

export interface Provider {
  /** Vendor name, e.g. "ollama". */
  readonly name: string;
  chat(request: ChatRequest): Promise<ChatResponse>;
  /** Optional streaming: reports text and tool-call deltas, then resolves to the full response. */
  chatStream?(request: ChatRequest, handlers: StreamHandlers): Promise<ChatResponse>;
  health(): Promise<ProviderHealth>;
}
