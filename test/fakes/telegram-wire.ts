// The Bot API's wire format for the Telegram stand-in: request parameters from the query
// string, JSON, urlencoded or multipart bodies (JSON-valued fields decoded, `attach://` file
// references resolved, as grammy sends them) and the `{ok, result}` / `{ok: false, error_code,
// description, parameters}` answers. Never accepts a body shape the real server would refuse.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, type WireUpdate } from './telegram-state.js';

const JSON_PARAMS = new Set(['reply_markup', 'entities', 'caption_entities', 'commands', 'allowed_updates', 'scope', 'reply_parameters', 'link_preview_options']);

function coerce(key: string, value: string): unknown {
  if (JSON_PARAMS.has(key)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

export async function readParams(req: IncomingMessage, url: URL): Promise<{ params: Record<string, unknown>; files: Map<string, { name: string; content: string }> }> {
  const params: Record<string, unknown> = {};
  const files = new Map<string, { name: string; content: string }>();
  for (const [k, v] of url.searchParams) params[k] = coerce(k, v);
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (raw.length === 0) return { params, files };
  if (type.startsWith('application/json')) {
    const parsed = JSON.parse(raw.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError(400, 'Bad Request: invalid JSON body');
    Object.assign(params, parsed);
  } else if (type.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) params[k] = coerce(k, v);
  } else if (type.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': req.headers['content-type']! } }).formData();
    for (const [k, v] of form) {
      if (typeof v === 'string') params[k] = coerce(k, v);
      else files.set(k, { name: v.name, content: await v.text() });
    }
    // grammy sends files as `attach://<id>` references in the field and the bytes in a part.
    for (const [k, v] of Object.entries(params)) {
      const ref = typeof v === 'string' && v.startsWith('attach://') ? files.get(v.slice('attach://'.length)) : undefined;
      if (ref) files.set(k, ref);
    }
  }
  return { params, files };
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, error: ApiError): void {
  send(res, error.code, { ok: false, error_code: error.code, description: error.description, ...(error.parameters ? { parameters: error.parameters } : {}) });
}

export function updateKind(update: WireUpdate): string {
  return Object.keys(update).find((k) => k !== 'update_id') ?? 'unknown';
}
