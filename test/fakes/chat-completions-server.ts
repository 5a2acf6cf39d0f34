// A stand-in for the chat-completions wire format, which OpenAI and Mistral share: POST
// /v1/chat/completions (JSON, or SSE `data:` chunks ending in `data: [DONE]`), GET
// /v1/models/{id}, Bearer auth. The two flavors differ only where the vendors do: the error
// body, how tool calls stream (OpenAI in fragments, Mistral whole), where usage arrives in a
// stream, and the model card. Driven by the official SDKs in the tests.
import { roughTokens, splitWords, usageFor, type VendorTurn } from './vendor-script.js';
import { startVendorHttpServer, type RecordedVendorRequest, type VendorHttpServer, type VendorReply } from './vendor-http.js';

export type ChatCompletionsFlavor = 'openai' | 'mistral';

export interface FakeChatCompletionsOptions {
  flavor: ChatCompletionsFlavor;
  apiKey?: string;
  models?: string[];
  record?: boolean;
}

export interface WireChatMessage {
  role: string;
  content: string | null;
  tool_calls?: Array<{ id: string; type?: string; function: { name: string; arguments: string | Record<string, unknown> } }>;
  tool_call_id?: string;
  name?: string;
}

export interface WireChatRequest {
  model: string;
  messages: WireChatMessage[];
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
  stream?: boolean;
  max_tokens?: number;
  max_completion_tokens?: number;
}

export interface FakeChatCompletions extends VendorHttpServer {
  readonly flavor: ChatCompletionsFlavor;
  /** The bodies of chat requests only, in order. */
  chatRequests(): WireChatRequest[];
}

function echo(req: WireChatRequest): VendorTurn {
  const user = [...req.messages].reverse().find((m) => m.role === 'user');
  return { type: 'text', text: typeof user?.content === 'string' ? user.content : '' };
}

export async function startFakeChatCompletions(options: FakeChatCompletionsOptions): Promise<FakeChatCompletions> {
  const { flavor } = options;
  const apiKey = options.apiKey ?? 'test-key';
  const models = options.models ?? ['test-model'];
  let seq = 0;

  const errorBody = (status: number, message: string, type: string) =>
    flavor === 'openai' ? { error: { message, type, param: null, code: status === 401 ? 'invalid_api_key' : null } } : { object: 'error', message, type, param: null, code: String(status) };

  function modelCard(id: string) {
    if (flavor === 'openai') return { id, object: 'model', created: 1_700_000_000, owned_by: 'system' };
    const caps = ['completion_chat', 'function_calling', 'reasoning', 'completion_fim', 'fine_tuning', 'vision', 'ocr', 'classification', 'moderation', 'audio', 'audio_transcription', 'audio_transcription_realtime', 'audio_speech', 'unified_resources'];
    return {
      id,
      object: 'model',
      created: 1_700_000_000,
      owned_by: 'mistralai',
      capabilities: Object.fromEntries(caps.map((c) => [c, c === 'completion_chat' || c === 'function_calling'])),
      max_context_length: 131072,
      internal: false,
      type: 'base',
    };
  }

  function toolCallsWire(turn: Extract<VendorTurn, { type: 'tool_calls' }>) {
    return turn.calls.map((c, i) => ({ id: c.id ?? (flavor === 'mistral' ? `c${String(++seq).padStart(8, '0')}` : `call_${++seq}`), type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) }, index: i }));
  }

  async function answer(req: WireChatRequest, reply: VendorReply, server: VendorHttpServer): Promise<void> {
    if (!models.includes(req.model)) {
      reply.json(404, errorBody(404, `The model \`${req.model}\` does not exist or you do not have access to it.`, 'invalid_request_error'));
      return;
    }
    const turn = await server.nextTurn(reply, echo(req));
    if (!turn) return;
    if (turn.type === 'error') {
      const type = turn.status === 429 ? 'rate_limit_exceeded' : turn.status >= 500 ? 'server_error' : 'invalid_request_error';
      reply.json(turn.status, errorBody(turn.status, turn.message, type), turn.retryAfterSec !== undefined ? { 'retry-after': String(turn.retryAfterSec) } : {});
      return;
    }
    const id = `chatcmpl-${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    const head = { id, object: 'chat.completion', created, model: req.model };
    const prompt = req.messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
    if (turn.type === 'malformed') {
      if (!req.stream) {
        reply.raw.writeHead(200, { 'content-type': 'application/json' });
        reply.raw.end('{"id": "broken", "choices": [');
        return;
      }
      const sse = reply.sse();
      sse.write(`data: ${JSON.stringify({ ...head, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: 'Part' }, finish_reason: null }] })}\n\n`);
      sse.write('data: {"choices": [ {"delta": \n\n');
      sse.end();
      return;
    }
    const usage = usageFor(prompt, turn);
    server.usages.push(usage);
    const wireUsage = { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output };
    const text = turn.text ?? '';
    const calls = turn.type === 'tool_calls' ? toolCallsWire(turn) : undefined;
    const finish = calls ? 'tool_calls' : 'stop';
    if (!req.stream) {
      const message = { role: 'assistant', content: calls && text === '' ? (flavor === 'openai' ? null : '') : text, ...(calls ? { tool_calls: calls.map(({ index: _i, ...c }) => c) } : {}) };
      reply.json(200, { ...head, choices: [{ index: 0, message, finish_reason: finish, logprobs: null }], usage: wireUsage });
      return;
    }
    const sse = reply.sse();
    const chunk = (delta: Record<string, unknown>, finishReason: string | null, extra: Record<string, unknown> = {}) =>
      sse.write(`data: ${JSON.stringify({ ...head, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`);
    chunk({ role: 'assistant', content: '' }, null);
    const pieces = turn.type === 'text' && turn.chunks ? turn.chunks : text === '' ? [] : splitWords(text);
    for (const piece of pieces) chunk({ content: piece }, null);
    for (const call of calls ?? []) {
      if (flavor === 'mistral') {
        chunk({ tool_calls: [call] }, null);
        continue;
      }
      chunk({ tool_calls: [{ index: call.index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, null);
      const args = call.function.arguments;
      const cut = Math.max(1, Math.floor(args.length / 2));
      for (const part of [args.slice(0, cut), args.slice(cut)]) if (part) chunk({ tool_calls: [{ index: call.index, function: { arguments: part } }] }, null);
    }
    if (flavor === 'mistral') {
      chunk({ content: '' }, finish, { usage: wireUsage });
    } else {
      chunk({}, finish);
      sse.write(`data: ${JSON.stringify({ ...head, object: 'chat.completion.chunk', choices: [], usage: wireUsage })}\n\n`);
    }
    sse.write('data: [DONE]\n\n');
    sse.end();
  }

  const server = await startVendorHttpServer(
    async (req: RecordedVendorRequest, reply, self) => {
      if (req.headers.authorization !== `Bearer ${apiKey}`) {
        reply.json(401, errorBody(401, 'Incorrect API key provided.', 'invalid_request_error'));
        return;
      }
      if (req.method === 'GET' && req.path.startsWith('/v1/models/')) {
        const id = decodeURIComponent(req.path.slice('/v1/models/'.length));
        if (models.includes(id)) reply.json(200, modelCard(id));
        else reply.json(404, errorBody(404, `The model '${id}' does not exist`, 'invalid_request_error'));
        return;
      }
      if (req.method === 'POST' && req.path === '/v1/chat/completions') {
        const body = req.body as WireChatRequest | undefined;
        if (!body || typeof body !== 'object' || typeof body.model !== 'string' || !Array.isArray(body.messages)) {
          reply.json(400, errorBody(400, 'Invalid request body: model and messages are required.', 'invalid_request_error'));
          return;
        }
        if (flavor === 'mistral') {
          // Mistral's own rule for tool-call ids, answered with its 422 validation shape.
          const ids = body.messages.flatMap((m) => [...(m.tool_calls ?? []).map((c) => c.id), ...(m.tool_call_id !== undefined ? [m.tool_call_id] : [])]);
          const bad = ids.find((id) => !/^[a-zA-Z0-9]{9}$/.test(id));
          if (bad !== undefined) {
            reply.json(422, { object: 'error', message: { detail: [{ type: 'value_error', msg: `Tool call id was ${bad} but must be a-z, A-Z, 0-9, with a length of 9.` }] }, type: 'invalid_request_message_error', param: null, code: null });
            return;
          }
        }
        await answer(body, reply, self);
        return;
      }
      reply.json(404, errorBody(404, `Unknown path ${req.path}`, 'invalid_request_error'));
    },
    { record: options.record ?? true },
  );
  return Object.assign(server, {
    flavor,
    chatRequests: () => server.requests.filter((r) => r.path === '/v1/chat/completions' && r.method === 'POST').map((r) => r.body as WireChatRequest),
  });
}

export { roughTokens };
