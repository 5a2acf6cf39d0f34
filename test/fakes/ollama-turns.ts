// Scripted turns for the fake Ollama server, and the exact JSON lines the real server sends
// for them. Kept apart from the HTTP plumbing so tests can read the script vocabulary alone.

/** One /api/chat request body as the fake received it (parsed JSON, unvalidated beyond basics). */
export interface FakeChatRequest {
  model: string;
  messages: Array<{
    role: string;
    content: string;
    tool_calls?: Array<{ id?: string; function: { name: string; arguments: Record<string, unknown> } }>;
    tool_name?: string;
    [key: string]: unknown;
  }>;
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
  stream?: boolean;
  [key: string]: unknown;
}

/** A pause in a streamed answer: after `afterChunks` chunks, nothing more until `until` settles. */
export interface StreamHold {
  afterChunks: number;
  until: PromiseLike<unknown>;
}

export interface FakeToolCall {
  name: string;
  arguments: Record<string, unknown>;
  /** Newer Ollama versions send an id; older ones do not. Omit to test id generation. */
  id?: string;
}

/** What the fake model does for one /api/chat request. */
export type FakeTurnSpec =
  /** A plain answer. `chunks` controls how the text is split when streaming (default: by word). */
  | {
      type: 'text';
      text: string;
      chunks?: string[];
      /** Streaming only: after `afterChunks` chunks, wait for `until` before sending the rest (no timing in tests); several holds are allowed. */
      hold?: StreamHold | StreamHold[];
    }
  /** The model asks for tools (optionally with some text before). */
  | { type: 'tool_calls'; calls: FakeToolCall[]; text?: string; chunks?: string[]; hold?: StreamHold | StreamHold[] }
  /**
   * An error. Before any output: an HTTP status with `{"error": message}` (the real server's
   * shape). With `midStream` (streaming requests only): HTTP 200, some text lines, then an
   * `{"error": ...}` line, as Ollama does when generation fails part-way.
   */
  | { type: 'error'; message: string; status?: number; midStream?: boolean; retryAfterSec?: number }
  /** Streaming: one good line, then a line that is not JSON (a proxy or a crash cut it). */
  | { type: 'malformed' }
  /** Wait `ms` before answering with `then` (default: the default turn). Use a large ms to force a timeout. */
  | { type: 'delay'; ms: number; then?: FakeTurn }
  /** Drop the TCP connection without answering (a crashed or restarted server). */
  | { type: 'disconnect' };

/** A scripted turn, or a function of the request so tests can assert on what the model received. */
export type FakeTurn = FakeTurnSpec | ((request: FakeChatRequest) => FakeTurnSpec | Promise<FakeTurnSpec>);

export const turns = {
  text: (text: string, chunks?: string[]): FakeTurnSpec => ({ type: 'text', text, ...(chunks ? { chunks } : {}) }),
  toolCall: (name: string, args: Record<string, unknown>, id?: string): FakeTurnSpec => ({
    type: 'tool_calls',
    calls: [{ name, arguments: args, ...(id ? { id } : {}) }],
  }),
  toolCalls: (calls: FakeToolCall[], text?: string): FakeTurnSpec => ({ type: 'tool_calls', calls, ...(text ? { text } : {}) }),
  error: (message: string, status = 500): FakeTurnSpec => ({ type: 'error', message, status }),
  modelNotFound: (model: string): FakeTurnSpec => ({
    type: 'error',
    status: 404,
    message: `model "${model}" not found, try pulling it first`,
  }),
  delay: (ms: number, then?: FakeTurn): FakeTurnSpec => ({ type: 'delay', ms, ...(then ? { then } : {}) }),
  disconnect: (): FakeTurnSpec => ({ type: 'disconnect' }),
};

/** The default "instant model": answers with the content of the last user message. */
export function echoLastUser(request: FakeChatRequest): FakeTurnSpec {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  return { type: 'text', text: lastUser ? lastUser.content : '' };
}

/** A rough token count, so eval counts look plausible without a tokenizer. */
export function roughTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

interface WireOptions {
  model: string;
  promptTokens: number;
}

function base(model: string): { model: string; created_at: string } {
  return { model, created_at: new Date().toISOString() };
}

/** The final line of a chat (streaming) or the whole body (non-streaming), with timings and counts. */
export function doneLine(
  opts: WireOptions,
  message: Record<string, unknown>,
  outputText: string,
  doneReason = 'stop',
): Record<string, unknown> {
  const evalCount = roughTokens(outputText);
  return {
    ...base(opts.model),
    message,
    done_reason: doneReason,
    done: true,
    total_duration: 1_000_000 + evalCount * 10_000,
    load_duration: 100_000,
    prompt_eval_count: opts.promptTokens,
    prompt_eval_duration: opts.promptTokens * 1_000,
    eval_count: evalCount,
    eval_duration: evalCount * 10_000,
  };
}

export function deltaLine(opts: WireOptions, message: Record<string, unknown>): Record<string, unknown> {
  return { ...base(opts.model), message, done: false };
}

export function wireToolCalls(calls: FakeToolCall[]): Array<Record<string, unknown>> {
  return calls.map((c, index) => ({
    ...(c.id ? { id: c.id } : {}),
    function: { index, name: c.name, arguments: c.arguments },
  }));
}

/** Splits a text into streaming chunks the way a model emits tokens: words with their spaces. */
export function splitChunks(text: string): string[] {
  const parts = text.match(/\S+\s*|\s+/g);
  return parts && parts.length > 0 ? parts : [text];
}
