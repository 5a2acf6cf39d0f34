// The embedded llama.cpp provider: a GGUF model run in-process by node-llama-cpp, so the gateway
// answers with no model server installed. Like every provider it only translates: the
// normalized chat becomes the model's own chat template (read from the GGUF), tools become a
// grammar (tool-grammar.ts) because small models have no function calling of their own, and the
// reply comes back as text or tool calls. One model instance and one context serve every
// conversation, so requests are queued; the model loads on first use (or preload()).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { ERROR_CODES, SecureSphereError, describeError } from '../../../core/errors.js';
import type { ChatMessage } from '../../../core/types.js';
import type { ChatRequest, ChatResponse, Provider, ProviderHealth, StopReason, StreamHandlers } from '../../provider.js';
import { createAnswerStream } from './answer-stream.js';
import { parseReply, replyGrammarSchema, toolInstructions } from './tool-grammar.js';

export interface LlamaCppProviderOptions {
  /** The GGUF file (config `model_path`; `securesphere model pull` puts one in the data dir). */
  modelPath: string;
  /** Context window in tokens (config `context_size`). */
  contextSize: number;
  /** CPU threads (config `threads`); default: every core. */
  threads?: number;
  /** Longest reply in tokens. */
  maxOutputTokens: number;
  /** Sampling temperature; 0 is greedy and repeatable. */
  temperature: number;
  /** Where the binding's own log lines go (it logs through this, never to the console). */
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
}

export interface LlamaCppProvider extends Provider {
  chatStream(request: ChatRequest, handlers: StreamHandlers): Promise<ChatResponse>;
  /** Loads the model now instead of on the first request. */
  preload(): Promise<void>;
  close(): Promise<void>;
}

type NodeLlamaCpp = typeof import('node-llama-cpp');
interface Loaded {
  lib: NodeLlamaCpp;
  llama: Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;
  model: Awaited<ReturnType<Awaited<ReturnType<NodeLlamaCpp['getLlama']>>['loadModel']>>;
  context: Awaited<ReturnType<Loaded['model']['createContext']>>;
  chat: InstanceType<NodeLlamaCpp['LlamaChat']>;
  loadMs: number;
}
type HistoryItem = Parameters<Loaded['chat']['generateResponse']>[0][number];

/** The normalized conversation in the shape the model's chat template takes. */
export function toLlamaHistory(messages: ChatMessage[], toolText: string | undefined): HistoryItem[] {
  const history: HistoryItem[] = [];
  let systemSeen = false;
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        history.push({ type: 'system', text: toolText && !systemSeen ? `${m.content}\n\n${toolText}` : m.content });
        systemSeen = true;
        break;
      case 'user':
        history.push({ type: 'user', text: m.content });
        break;
      case 'assistant':
        // The model's earlier tool calls are shown to it in the form it is asked to write them.
        history.push({
          type: 'model',
          response: [m.toolCalls && m.toolCalls.length > 0 ? m.toolCalls.map((c) => JSON.stringify({ tool: c.name, arguments: c.arguments })).join('\n') : toolText ? JSON.stringify({ answer: m.content }) : m.content],
        });
        break;
      case 'tool':
        // Chat templates of small models have no tool role: a result comes back as a user turn.
        history.push({ type: 'user', text: `Result of ${m.toolName}:\n${m.content}` });
        break;
    }
  }
  if (toolText && !systemSeen) history.unshift({ type: 'system', text: toolText });
  return history;
}

export function createLlamaCppProvider(options: LlamaCppProviderOptions): LlamaCppProvider {
  let loading: Promise<Loaded> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let waiting = 0;

  function load(): Promise<Loaded> {
    loading ??= (async () => {
      if (!existsSync(options.modelPath)) {
        throw new SecureSphereError(
          ERROR_CODES.PROVIDER_MODEL_NOT_FOUND,
          `The embedded model file ${options.modelPath} does not exist: run \`securesphere model pull\` (or set provider.model_path).`,
        );
      }
      const t0 = performance.now();
      const lib = await import('node-llama-cpp');
      const llama = await lib.getLlama({
        gpu: false,
        build: 'never',
        progressLogs: false,
        logLevel: lib.LlamaLogLevel.warn,
        logger: (level, message) => options.log?.(level === lib.LlamaLogLevel.error || level === lib.LlamaLogLevel.fatal ? 'error' : level === lib.LlamaLogLevel.warn ? 'warn' : 'debug', message.trim()),
      });
      const model = await llama.loadModel({ modelPath: options.modelPath });
      const context = await model.createContext({ contextSize: options.contextSize, threads: options.threads ?? availableParallelism() });
      const chat = new lib.LlamaChat({ contextSequence: context.getSequence() });
      return { lib, llama, model, context, chat, loadMs: performance.now() - t0 };
    })().catch((err: unknown) => {
      loading = undefined; // a later request tries again (e.g. after `model pull`)
      if (err instanceof SecureSphereError) throw err;
      throw new SecureSphereError(ERROR_CODES.PROVIDER_ERROR, `The embedded model ${basename(options.modelPath)} could not be loaded: ${describeError(err)}. Check the file (securesphere model list) or pull it again.`, { cause: err });
    });
    return loading;
  }

  /** Runs one generation at a time: one model, one context, requests in arrival order. */
  function enqueue<T>(work: () => Promise<T>): Promise<T> {
    waiting += 1;
    const run = queue.then(work, work);
    queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => (waiting -= 1));
  }

  async function generate(request: ChatRequest, onText?: (delta: string) => void): Promise<ChatResponse> {
    const loaded = await load();
    return enqueue(async () => {
      if (request.signal?.aborted) throw new SecureSphereError(ERROR_CODES.PROVIDER_TIMEOUT, 'The request was cancelled before the embedded model got to it.');
      const tools = request.tools;
      const grammar = tools.length > 0 ? await loaded.llama.createGrammarForJsonSchema(replyGrammarSchema(tools) as never) : undefined;
      const history = toLlamaHistory(request.messages, tools.length > 0 ? toolInstructions(tools) : undefined);
      // The reply slot the model writes into.
      history.push({ type: 'model', response: [] });
      const sequence = loaded.chat.sequence;
      const before = sequence.tokenMeter.getState();
      const forward = onText ? (grammar ? createAnswerStream(onText) : onText) : undefined;
      try {
        const result = await loaded.chat.generateResponse(history, {
          ...(grammar ? { grammar } : {}),
          maxTokens: request.maxOutputTokens ?? options.maxOutputTokens,
          temperature: options.temperature,
          repeatPenalty: { penalty: 1.15, lastTokens: 64 },
          ...(request.signal ? { signal: request.signal, stopOnAbortSignal: false } : {}),
          ...(forward ? { onTextChunk: forward } : {}),
        });
        const used = sequence.tokenMeter.diff(before);
        const parsed = grammar ? parseReply(result.response, tools) : { text: result.response.trim(), toolCalls: [] };
        const stopReason: StopReason = parsed.toolCalls.length > 0 ? 'tool_calls' : result.metadata.stopReason === 'maxTokens' ? 'max_tokens' : 'end';
        return { text: parsed.text, toolCalls: parsed.toolCalls, usage: { inputTokens: used.usedInputTokens, outputTokens: used.usedOutputTokens }, stopReason };
      } catch (err) {
        if (request.signal?.aborted) throw new SecureSphereError(ERROR_CODES.PROVIDER_TIMEOUT, 'The embedded model was stopped: the turn ran out of time.', { cause: err });
        throw new SecureSphereError(ERROR_CODES.PROVIDER_ERROR, `The embedded model failed: ${describeError(err)}`, { cause: err });
      }
    });
  }

  return {
    name: 'llama-cpp',
    chat: (request) => generate(request),
    chatStream: (request, handlers) => generate(request, (delta) => handlers.onText(delta)),
    async preload() {
      await load();
    },
    async health(): Promise<ProviderHealth & Record<string, unknown>> {
      if (!loading) {
        return existsSync(options.modelPath)
          ? { ok: true, detail: `embedded model ${basename(options.modelPath)} (loads on first use; context ${options.contextSize} tokens)` }
          : { ok: false, detail: `embedded model file ${options.modelPath} not found: run \`securesphere model pull\`` };
      }
      try {
        const loaded = await loading;
        const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
        return {
          ok: true,
          detail: `embedded model ${basename(options.modelPath)}: ${Math.round(loaded.model.size / 2 ** 20)} MiB weights, context ${loaded.context.contextSize} tokens, ${waiting} request(s) queued, process RSS ${rssMb} MiB`,
          modelBytes: loaded.model.size,
          contextSize: loaded.context.contextSize,
          queued: waiting,
        };
      } catch (err) {
        return { ok: false, detail: describeError(err) };
      }
    },
    async close() {
      const current = loading;
      loading = undefined;
      if (!current) return;
      const loaded = await current.catch(() => undefined);
      await queue;
      await loaded?.context.dispose();
      await loaded?.model.dispose();
      // The llama.cpp binding itself is shared by every user in the process (getLlama): left loaded.
    },
  };
}
