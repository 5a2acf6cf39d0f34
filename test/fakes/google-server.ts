// A stand-in for the Gemini API on a real socket: POST /{v1,v1beta}/models/{model}:generateContent
// (JSON) and :streamGenerateContent?alt=sse (`data:` chunks, each a GenerateContentResponse),
// GET /{v1,v1beta}/models/{model}, x-goog-api-key auth (a bad key is 400 API_KEY_INVALID, as the
// real API answers), google.rpc error bodies with RetryInfo on 429. Driven by `@google/genai`.
import { splitWords, usageFor, type VendorTurn } from './vendor-script.js';
import { startVendorHttpServer, type VendorHttpServer, type VendorReply } from './vendor-http.js';

export interface WireGooglePart {
  text?: string;
  functionCall?: { id?: string; name: string; args?: Record<string, unknown> };
  functionResponse?: { id?: string; name: string; response: Record<string, unknown> };
}

export interface WireGoogleRequest {
  contents: Array<{ role?: string; parts: WireGooglePart[] }>;
  systemInstruction?: { role?: string; parts: WireGooglePart[] };
  tools?: Array<{ functionDeclarations?: Array<{ name: string; description?: string; parametersJsonSchema?: unknown; parameters?: unknown }> }>;
  generationConfig?: { maxOutputTokens?: number };
}

export interface FakeGoogle extends VendorHttpServer {
  /** Model name and body of each generate request, in order. */
  generateRequests(): Array<{ model: string; stream: boolean; body: WireGoogleRequest }>;
}

const STATUS: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

function textOf(parts: WireGooglePart[]): string {
  return parts.map((p) => p.text ?? (p.functionResponse ? JSON.stringify(p.functionResponse.response) : '')).join('');
}

export async function startFakeGoogle(options: { apiKey?: string; models?: string[]; record?: boolean } = {}): Promise<FakeGoogle> {
  const apiKey = options.apiKey ?? 'test-key';
  const models = options.models ?? ['gemini-test'];
  let seq = 0;
  const error = (reply: VendorReply, status: number, message: string, extra: { retryAfterSec?: number; reason?: string } = {}) => {
    const details: unknown[] = [];
    if (extra.reason) details.push({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: extra.reason, domain: 'googleapis.com' });
    if (extra.retryAfterSec !== undefined) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${extra.retryAfterSec}s` });
    reply.json(status, { error: { code: status, message, status: STATUS[status] ?? 'UNKNOWN', ...(details.length ? { details } : {}) } });
  };

  async function answer(model: string, stream: boolean, req: WireGoogleRequest, reply: VendorReply, server: VendorHttpServer): Promise<void> {
    if (!models.includes(model)) return error(reply, 404, `models/${model} is not found for API version v1beta, or is not supported for generateContent.`);
    const lastUser = [...req.contents].reverse().find((c) => c.role === 'user');
    const turn = await server.nextTurn(reply, { type: 'text', text: lastUser ? textOf(lastUser.parts) : '' });
    if (!turn) return;
    if (turn.type === 'error') return error(reply, turn.status, turn.message, turn.retryAfterSec !== undefined ? { retryAfterSec: turn.retryAfterSec } : {});
    const prompt = [textOf(req.systemInstruction?.parts ?? []), ...req.contents.map((c) => textOf(c.parts))].join('\n');
    const responseId = `resp-${++seq}`;
    if (turn.type === 'malformed') {
      const sse = reply.sse();
      sse.write(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Part' }] }, index: 0 }], modelVersion: model, responseId })}\r\n\r\n`);
      sse.write('data: {"candidates": [{"content": \r\n\r\n');
      sse.end();
      return;
    }
    const usage = usageFor(prompt, turn as VendorTurn);
    server.usages.push(usage);
    const usageMetadata = { promptTokenCount: usage.input, candidatesTokenCount: usage.output, totalTokenCount: usage.input + usage.output };
    const text = turn.text ?? '';
    const calls: WireGooglePart[] = turn.type === 'tool_calls' ? turn.calls.map((c) => ({ functionCall: { ...(c.id ? { id: c.id } : {}), name: c.name, args: c.arguments } })) : [];
    const candidate = (parts: WireGooglePart[], finishReason?: string) => ({ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}), index: 0 });
    if (!stream) {
      reply.json(200, { candidates: [candidate([...(text ? [{ text }] : []), ...calls], 'STOP')], usageMetadata, modelVersion: model, responseId });
      return;
    }
    const sse = reply.sse();
    const send = (body: unknown) => sse.write(`data: ${JSON.stringify(body)}\r\n\r\n`);
    const pieces = turn.type === 'text' && turn.chunks ? turn.chunks : text === '' ? [] : splitWords(text);
    pieces.forEach((piece, i) => {
      const lastPiece = i === pieces.length - 1 && calls.length === 0;
      send({ candidates: [candidate([{ text: piece }], lastPiece ? 'STOP' : undefined)], ...(lastPiece ? { usageMetadata } : {}), modelVersion: model, responseId });
    });
    if (calls.length > 0) send({ candidates: [candidate(calls, 'STOP')], usageMetadata, modelVersion: model, responseId });
    if (pieces.length === 0 && calls.length === 0) send({ candidates: [candidate([{ text: '' }], 'STOP')], usageMetadata, modelVersion: model, responseId });
    sse.end();
  }

  const server = await startVendorHttpServer(
    async (req, reply, self) => {
      const key = req.headers['x-goog-api-key'] ?? req.query.get('key');
      if (key !== apiKey) return error(reply, 400, 'API key not valid. Please pass a valid API key.', { reason: 'API_KEY_INVALID' });
      const m = /^\/(?:v1|v1beta)\/models\/([^/:]+)(?::(generateContent|streamGenerateContent))?$/.exec(req.path);
      if (!m) return error(reply, 404, `Not found: ${req.path}`);
      const model = decodeURIComponent(m[1]!);
      const version = req.path.split('/')[1]!;
      if (req.method === 'GET' && !m[2]) {
        if (!models.includes(model)) return error(reply, 404, `models/${model} is not found for API version ${version}.`);
        reply.json(200, { name: `models/${model}`, version: '001', displayName: model, inputTokenLimit: 1_048_576, outputTokenLimit: 65_536, supportedGenerationMethods: ['generateContent', 'countTokens'] });
        return;
      }
      if (req.method === 'POST' && m[2]) {
        const stream = m[2] === 'streamGenerateContent';
        if (stream && req.query.get('alt') !== 'sse') return error(reply, 400, 'streamGenerateContent without alt=sse answers a JSON array; this fake only speaks SSE.');
        const body = req.body as WireGoogleRequest | undefined;
        if (!body || !Array.isArray(body.contents)) return error(reply, 400, '* GenerateContentRequest.contents: contents is not specified');
        await answer(model, stream, body, reply, self);
        return;
      }
      error(reply, 404, `Not found: ${req.method} ${req.path}`);
    },
    { record: options.record ?? true },
  );
  return Object.assign(server, {
    generateRequests: () =>
      server.requests
        .filter((r) => r.method === 'POST' && /:(generate|streamGenerate)Content$/.test(r.path))
        .map((r) => ({ model: decodeURIComponent(r.path.split('/')[3]!.split(':')[0]!), stream: r.path.endsWith(':streamGenerateContent'), body: r.body as WireGoogleRequest })),
  });
}
