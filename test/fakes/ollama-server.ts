// A scripted fake Ollama server on a real socket. It speaks the real wire format (NDJSON
// streaming on /api/chat, object tool-call arguments, role "tool" results, /api/tags,
// /api/show, /api/version, `{"error": ...}` bodies and lines) so the real `ollama` client can
// talk to it. Each /api/chat request consumes one scripted turn; with an empty queue the
// default turn answers (by default: echo the last user message, an "instant model" for
// benchmarks). Every request is recorded so tests can assert on prompts, tools and results.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  deltaLine,
  doneLine,
  echoLastUser,
  roughTokens,
  splitChunks,
  wireToolCalls,
  type FakeChatRequest,
  type FakeTurn,
  type FakeTurnSpec,
} from './ollama-turns.js';

export * from './ollama-turns.js';

export interface FakeModel {
  name: string;
  /** Ollama capabilities; a model without "tools" rejects requests that carry tools, like the real server. */
  capabilities?: string[];
}

export interface FakeOllamaOptions {
  /** Models the server "has". A chat for any other model answers 404 "not found, try pulling it first". Default ["llama3.1"]. */
  models?: Array<string | FakeModel>;
  /** Answer when the queue is empty. Default: echo the last user message. */
  defaultTurn?: FakeTurn;
  /** Record request bodies (turn off for long benchmarks). Default true. */
  record?: boolean;
  version?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Parsed JSON body, or the raw text when it was not JSON, or undefined for GET. */
  body: unknown;
  /** The Authorization header, when one was sent (basic auth behind a proxy). */
  authorization?: string;
}

export interface FakeOllama {
  /** Base URL, e.g. "http://127.0.0.1:41234" (what provider.host / OLLAMA_HOST would be). */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** The bodies of /api/chat requests only, in order. */
  readonly chatRequests: FakeChatRequest[];
  /** Token counts reported per answered chat (prompt_eval_count, eval_count). */
  readonly usages: Array<{ input: number; output: number }>;
  enqueue(...turns: FakeTurn[]): void;
  /** Scripted turns not yet consumed. */
  pending(): number;
  setDefaultTurn(turn: FakeTurn): void;
  setModels(models: Array<string | FakeModel>): void;
  clearRequests(): void;
  close(): Promise<void>;
}

function normalizeModel(model: string | FakeModel): FakeModel {
  return typeof model === 'string' ? { name: model, capabilities: ['completion', 'tools'] } : model;
}

function withTag(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

/** The checks the real server makes before generating, with its error texts. */
function validateChat(body: unknown): { status: number; error: string } | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { status: 400, error: 'invalid request body' };
  }
  const req = body as Record<string, unknown>;
  if (typeof req.model !== 'string' || req.model === '') return { status: 400, error: 'model is required' };
  if (req.messages !== undefined && !Array.isArray(req.messages)) {
    return { status: 400, error: 'json: cannot unmarshal messages into Go struct field ChatRequest.messages of type []api.Message' };
  }
  for (const m of (req.messages ?? []) as unknown[]) {
    const msg = m as Record<string, unknown>;
    if (typeof msg !== 'object' || msg === null || typeof msg.role !== 'string') {
      return { status: 400, error: 'invalid message: role is required' };
    }
    if (!['system', 'user', 'assistant', 'tool'].includes(msg.role)) {
      return { status: 400, error: `invalid role: ${msg.role}` };
    }
    if (msg.content !== undefined && typeof msg.content !== 'string') {
      return { status: 400, error: 'json: cannot unmarshal into Go struct field Message.messages.content of type string' };
    }
    for (const tc of (msg.tool_calls ?? []) as Array<Record<string, unknown>>) {
      const fn = tc?.function as Record<string, unknown> | undefined;
      const args = fn?.arguments;
      if (typeof args !== 'object' || args === null || Array.isArray(args)) {
        return {
          status: 400,
          error: `json: cannot unmarshal ${typeof args} into Go struct field ToolCallFunction.messages.tool_calls.function.arguments of type api.ToolCallFunctionArguments`,
        };
      }
    }
  }
  if (req.tools !== undefined && !Array.isArray(req.tools)) return { status: 400, error: 'invalid tools' };
  return undefined;
}

export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  let models = (options.models ?? ['llama3.1']).map(normalizeModel);
  let defaultTurn: FakeTurn = options.defaultTurn ?? echoLastUser;
  const record = options.record ?? true;
  const queue: FakeTurn[] = [];
  const requests: RecordedRequest[] = [];
  const chatRequests: FakeChatRequest[] = [];
  const usages: Array<{ input: number; output: number }> = [];
  const timers = new Set<NodeJS.Timeout>();

  const findModel = (name: string): FakeModel | undefined =>
    models.find((m) => withTag(m.name) === withTag(name));

  const sleep = (ms: number, res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve(!res.destroyed);
      }, ms);
      timers.add(timer);
      res.once('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
        resolve(false);
      });
    });

  function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  async function resolveTurn(turn: FakeTurn, req: FakeChatRequest): Promise<FakeTurnSpec> {
    return typeof turn === 'function' ? await turn(req) : turn;
  }

  async function answerChat(req: FakeChatRequest, res: ServerResponse): Promise<void> {
    const model = findModel(req.model);
    if (!model) {
      sendJson(res, 404, { error: `model "${req.model}" not found, try pulling it first` });
      return;
    }
    if (Array.isArray(req.tools) && req.tools.length > 0 && !(model.capabilities ?? []).includes('tools')) {
      sendJson(res, 400, { error: `registry.ollama.ai/library/${withTag(model.name)} does not support tools` });
      return;
    }
    let spec = await resolveTurn(queue.shift() ?? defaultTurn, req);
    while (spec.type === 'delay') {
      if (!(await sleep(spec.ms, res))) return;
      spec = await resolveTurn(spec.then ?? defaultTurn, req);
    }
    if (spec.type === 'disconnect') {
      res.socket?.destroy();
      return;
    }
    const stream = req.stream !== false;
    const promptText = req.messages.map((m) => m.content ?? '').join('\n');
    const wire = { model: req.model, promptTokens: roughTokens(promptText) };
    if (spec.type === 'error') {
      if (!(stream && spec.midStream)) {
        sendJson(res, spec.status ?? 500, { error: spec.message }, spec.retryAfterSec !== undefined ? { 'retry-after': String(spec.retryAfterSec) } : {});
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(JSON.stringify(deltaLine(wire, { role: 'assistant', content: 'Partial ' })) + '\n');
      res.end(JSON.stringify({ error: spec.message }) + '\n');
      return;
    }
    if (spec.type === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(JSON.stringify(deltaLine(wire, { role: 'assistant', content: 'Part' })) + '\n');
      res.end('{"model": "broken", "message": {\n');
      return;
    }
    const text = spec.text ?? '';
    usages.push({ input: wire.promptTokens, output: roughTokens(text) });
    const toolCalls = spec.type === 'tool_calls' ? wireToolCalls(spec.calls) : undefined;
    if (!stream) {
      const message = { role: 'assistant', content: text, ...(toolCalls ? { tool_calls: toolCalls } : {}) };
      sendJson(res, 200, doneLine(wire, message, text));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const chunks = spec.chunks ?? (text === '' ? [] : splitChunks(text));
    for (const [index, chunk] of chunks.entries()) {
      const hold = spec.hold ? [spec.hold].flat().find((h) => h.afterChunks === index) : undefined;
      if (hold) {
        await hold.until;
        if (res.destroyed) return;
      }
      res.write(JSON.stringify(deltaLine(wire, { role: 'assistant', content: chunk })) + '\n');
    }
    if (toolCalls) {
      res.write(JSON.stringify(deltaLine(wire, { role: 'assistant', content: '', tool_calls: toolCalls })) + '\n');
    }
    res.end(JSON.stringify(doneLine(wire, { role: 'assistant', content: '' }, text)) + '\n');
  }

  function tagsBody(): unknown {
    return {
      models: models.map((m) => ({
        name: withTag(m.name),
        model: withTag(m.name),
        modified_at: '2026-01-01T00:00:00Z',
        size: 4_920_753_328,
        digest: 'a'.repeat(64),
        details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '8.0B', quantization_level: 'Q4_K_M' },
      })),
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = undefined;
    let parseError: string | undefined;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch (err) {
        body = raw;
        parseError = `invalid character in JSON body: ${(err as Error).message}`;
      }
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    if (record) {
      requests.push({ method, path, body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    }

    if (method === 'GET' && (path === '/' || path === '')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Ollama is running');
    } else if (method === 'GET' && path === '/api/version') {
      sendJson(res, 200, { version: options.version ?? '0.12.6' });
    } else if (method === 'GET' && path === '/api/tags') {
      sendJson(res, 200, tagsBody());
    } else if (method === 'POST' && path === '/api/show') {
      const name = (body as Record<string, unknown> | undefined)?.model ?? (body as Record<string, unknown> | undefined)?.name;
      const model = typeof name === 'string' ? findModel(name) : undefined;
      if (!model) {
        sendJson(res, 404, { error: `model '${String(name)}' not found` });
        return;
      }
      sendJson(res, 200, {
        license: '',
        modelfile: `FROM ${withTag(model.name)}`,
        parameters: '',
        template: '{{ .Prompt }}',
        details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '8.0B', quantization_level: 'Q4_K_M' },
        model_info: { 'general.architecture': 'llama' },
        capabilities: model.capabilities ?? [],
        modified_at: '2026-01-01T00:00:00Z',
      });
    } else if (method === 'POST' && path === '/api/chat') {
      if (parseError) {
        sendJson(res, 400, { error: parseError });
        return;
      }
      const invalid = validateChat(body);
      if (invalid) {
        sendJson(res, invalid.status, { error: invalid.error });
        return;
      }
      const chatReq = body as FakeChatRequest;
      chatReq.messages = chatReq.messages ?? [];
      if (record) chatRequests.push(chatReq);
      await answerChat(chatReq, res);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('404 page not found');
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A script function threw: answer 500 like a crashed runner, and keep serving.
      if (!res.headersSent) sendJson(res, 500, { error: `fake ollama script failed: ${(err as Error).message}` });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    chatRequests,
    usages,
    enqueue: (...turns) => {
      queue.push(...turns);
    },
    pending: () => queue.length,
    setDefaultTurn: (turn) => {
      defaultTurn = turn;
    },
    setModels: (next) => {
      models = next.map(normalizeModel);
    },
    clearRequests: () => {
      requests.length = 0;
      chatRequests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
