// A host-side client of the egress proxy (tests, diagnostics): sends one request with a
// capability token and returns the (size-capped) response. The http skill's real client is
// skills/http/http-agent.cjs, inside the agent. The proxy, not a client, decides what is allowed.
import http from 'node:http';
import { REFUSED_HEADER, TOKEN_HEADER, TRUNCATED_HEADER } from './egress-proxy.js';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';

export interface EgressRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface EgressResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  truncated: boolean;
  /** Set when the proxy refused the request (e.g. "domain_not_allowed"). */
  refused: string | null;
}

export interface EgressClient {
  request(token: string, request: EgressRequest): Promise<EgressResponse>;
}

export function createEgressClient(target: { socketPath: string } | { port: number; host?: string }, timeoutMs = 60_000): EgressClient {
  return {
    request(token, request) {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = { ...request.headers, [TOKEN_HEADER]: token };
        const base = 'socketPath' in target ? { socketPath: target.socketPath } : { host: target.host ?? '127.0.0.1', port: target.port };
        const req = http.request({ ...base, method: request.method ?? 'GET', path: request.url, headers, timeout: timeoutMs, signal: request.signal });
        req.on('timeout', () => req.destroy(new SecureSphereError(ERROR_CODES.SKILL_FAILED, 'egress proxy timed out')));
        req.on('error', reject);
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const flat: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
            const refused = typeof res.headers[REFUSED_HEADER] === 'string' ? (res.headers[REFUSED_HEADER] as string) : null;
            delete flat[REFUSED_HEADER];
            delete flat[TRUNCATED_HEADER];
            resolve({ status: res.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks), truncated: res.headers[TRUNCATED_HEADER] === '1', refused });
          });
        });
        req.end(request.body ?? undefined);
      });
    },
  };
}
