// A small client of the gateway's HTTP API, used by the terminal chat and CLI commands.
import { ERROR_CODES, SecureSphereError } from '../../core/errors.js';
export interface ApiClient {
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
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
  };
}
