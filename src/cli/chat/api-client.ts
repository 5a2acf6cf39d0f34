// A small client of the gateway's HTTP API, used by the terminal chat and CLI commands.
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
export interface ApiClient {
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Server-sent events from a GET path: calls onEvent(name, data) per event; resolves once connected. */
  events?(path: string, onEvent: (name: string, data: string) => void): Promise<{ close(): void }>;
}

export function createApiClient(baseUrl: string, token: string): ApiClient {
  return {
    async request<T>(method: string, path: string, body?: unknown) {
      let res: Response;
      try {
        res = await fetch(new URL(path, baseUrl), {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (cause) {
        throw new SecureSphereError(ERROR_CODES.CHANNEL_UNAVAILABLE, `Cannot reach the gateway at ${baseUrl}: start it with \`securesphere start\` first.`, { cause });
      }
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    async events(path, onEvent) {
      const controller = new AbortController();
      const res = await fetch(new URL(path, baseUrl), { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal });
      if (!res.ok || !res.body) {
        controller.abort();
        throw new SecureSphereError(ERROR_CODES.CHANNEL_UNAVAILABLE, `The gateway refused the reply stream (HTTP ${res.status}); replies are shown when complete.`);
      }
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      void (async () => {
        for (;;) {
          const chunk = await reader.read();
          if (chunk.done) return;
          buffer += decoder.decode(chunk.value, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let name = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) name = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
            }
            if (data.length > 0) onEvent(name, data.join('\n'));
          }
        }
      })().catch(() => undefined);
      return { close: () => controller.abort() };
    },
  };
}
