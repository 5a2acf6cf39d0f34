// A stand-in for Anthropic's Messages API on a real socket: POST /v1/messages (JSON, or SSE
// with `event:` names: message_start, content_block_start/delta/stop, message_delta,
// message_stop, pings between), GET /v1/models/{id}, x-api-key auth, and Anthropic's error
// bodies; the key as x-api-key or a Bearer token. Driven by the official `@anthropic-ai/sdk` in the tests.
import { splitWords, usageFor, type VendorTurn } from './vendor-script.js';
import { startVendorHttpServer, type VendorHttpServer, type VendorReply } from './vendor-http.js';

export interface WireAnthropicBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
}

export interface WireAnthropicRequest {
  model: string;
  max_tokens: number;
  system?: string | Array<{ type: string; text: string }>;
  messages: Array<{ role: string; content: string | WireAnthropicBlock[] }>;
  tools?: Array<{ name: string; description?: string; input_schema: unknown }>;
  stream?: boolean;
}

export interface FakeAnthropic extends VendorHttpServer {
  messageRequests(): WireAnthropicRequest[];
}

function textOf(content: string | WireAnthropicBlock[]): string {
  return typeof content === 'string' ? content : content.map((b) => (b.type === 'text' ? (b.text ?? '') : typeof b.content === 'string' ? b.content : '')).join('');
}

function echo(req: WireAnthropicRequest): VendorTurn {
  const user = [...req.messages].reverse().find((m) => m.role === 'user');
  return { type: 'text', text: user ? textOf(user.content) : '' };
}

const errorType = (status: number): string =>
  status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : status === 404 ? 'not_found_error' : status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : status >= 500 ? 'api_error' : 'invalid_request_error';

export async function startFakeAnthropic(options: { apiKey?: string; models?: string[]; record?: boolean } = {}): Promise<FakeAnthropic> {
  const apiKey = options.apiKey ?? 'test-key';
  const models = options.models ?? ['claude-test'];
  let seq = 0;
  const error = (reply: VendorReply, status: number, message: string, headers: Record<string, string> = {}) =>
    reply.json(status, { type: 'error', error: { type: errorType(status), message } }, headers);

  async function answer(req: WireAnthropicRequest, reply: VendorReply, server: VendorHttpServer): Promise<void> {
    if (!models.includes(req.model)) return error(reply, 404, `model: ${req.model}`);
    const turn = await server.nextTurn(reply, echo(req));
    if (!turn) return;
    if (turn.type === 'error') return error(reply, turn.status, turn.message, turn.retryAfterSec !== undefined ? { 'retry-after': String(turn.retryAfterSec) } : {});
    const id = `msg_${++seq}`;
    const system = typeof req.system === 'string' ? req.system : (req.system ?? []).map((b) => b.text).join('');
    const prompt = [system, ...req.messages.map((m) => textOf(m.content))].join('\n');
    if (turn.type === 'malformed') {
      const sse = reply.sse();
      sse.write(`event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id, type: 'message', role: 'assistant', model: req.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } } })}\n\n`);
      sse.write('event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {\n\n');
      sse.end();
      return;
    }
    const usage = usageFor(prompt, turn);
    server.usages.push(usage);
    const text = turn.text ?? '';
    const tools = turn.type === 'tool_calls' ? turn.calls.map((c) => ({ type: 'tool_use', id: c.id ?? `toolu_${String(++seq).padStart(6, '0')}`, name: c.name, input: c.arguments })) : [];
    const stop = tools.length > 0 ? 'tool_use' : 'end_turn';
    if (!req.stream) {
      const content = [...(text !== '' ? [{ type: 'text', text }] : []), ...tools];
      reply.json(200, { id, type: 'message', role: 'assistant', model: req.model, content, stop_reason: stop, stop_sequence: null, usage: { input_tokens: usage.input, output_tokens: usage.output } });
      return;
    }
    const sse = reply.sse();
    const send = (event: Record<string, unknown>) => sse.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
    send({ type: 'message_start', message: { id, type: 'message', role: 'assistant', model: req.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.input, output_tokens: 1 } } });
    let index = 0;
    if (text !== '') {
      send({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      send({ type: 'ping' });
      for (const piece of turn.type === 'text' && turn.chunks ? turn.chunks : splitWords(text)) send({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
      send({ type: 'content_block_stop', index });
      index++;
    }
    for (const tool of tools) {
      send({ type: 'content_block_start', index, content_block: { ...tool, input: {} } });
      const json = JSON.stringify(tool.input);
      const cut = Math.max(1, Math.floor(json.length / 2));
      send({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const part of [json.slice(0, cut), json.slice(cut)]) if (part) send({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
      send({ type: 'content_block_stop', index });
      index++;
    }
    send({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output } });
    send({ type: 'message_stop' });
    sse.end();
  }

  const server = await startVendorHttpServer(
    async (req, reply, self) => {
      // The API takes the key as x-api-key or (current SDKs) as a Bearer token.
      if (req.headers['x-api-key'] !== apiKey && req.headers.authorization !== `Bearer ${apiKey}`) return error(reply, 401, 'invalid x-api-key');
      if (typeof req.headers['anthropic-version'] !== 'string') return error(reply, 400, 'anthropic-version header is required');
      if (req.method === 'GET' && req.path.startsWith('/v1/models/')) {
        const id = decodeURIComponent(req.path.slice('/v1/models/'.length));
        if (!models.includes(id)) return error(reply, 404, `model: ${id}`);
        reply.json(200, { type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' });
        return;
      }
      if (req.method === 'POST' && req.path === '/v1/messages') {
        const body = req.body as WireAnthropicRequest | undefined;
        if (!body || typeof body.model !== 'string' || !Array.isArray(body.messages) || typeof body.max_tokens !== 'number') {
          return error(reply, 400, 'model, messages and max_tokens are required');
        }
        for (let i = 1; i < body.messages.length; i++) {
          if (body.messages[i]!.role === body.messages[i - 1]!.role) return error(reply, 400, `messages: roles must alternate between "user" and "assistant" (index ${i})`);
        }
        await answer(body, reply, self);
        return;
      }
      error(reply, 404, `Not found: ${req.path}`);
    },
    { record: options.record ?? true },
  );
  return Object.assign(server, {
    messageRequests: () => server.requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages').map((r) => r.body as WireAnthropicRequest),
  });
}
