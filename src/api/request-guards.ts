// Checks that run on every request before authentication, before the body is read and before
// any route, so a refused request changes nothing (not even the failed-auth budget):
//  - Host: a gateway bound to loopback answers only a Host naming loopback on its own port
//    (127.0.0.1, localhost, [::1], the bound address) or a name in server.allowed_hosts; a page
//    that rebinds its own DNS name to 127.0.0.1 gets 421.
//  - Origin: /api/web/* (the web page's data routes) refuses browser requests from any other
//    origin (a foreign Origin header, or Sec-Fetch-Site saying cross-site / same-site); clients
//    that send neither (curl, scripts) are fine.
// Must never decide on anything but these headers and the socket the request came in on.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ERROR_CODES } from '../core/errors.js';
import { sendError } from './http-errors.js';

export interface HostCheckOptions {
  /** True when the gateway listens on loopback only; the Host check applies then. */
  loopbackOnly: boolean;
  /** server.allowed_hosts: "name" (any port) or "name:port". */
  allowedHosts: readonly string[];
}

/** Whether a bind address is loopback only. `::` and `0.0.0.0` are every interface, not loopback. */
export function isLoopbackBind(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

interface HostParts {
  name: string;
  port: number | undefined;
}

const HOST_RE = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/;

function parseHost(value: string): HostParts | undefined {
  const m = HOST_RE.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  return { name: m[1]!, port: m[2] === undefined ? undefined : Number(m[2]) };
}

function loopbackNames(localAddress: string | undefined): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  if (localAddress) names.add(localAddress.includes(':') ? `[${localAddress.toLowerCase()}]` : localAddress);
  return names;
}

function hostAllowed(request: FastifyRequest, options: HostCheckOptions): boolean {
  const header = request.headers.host;
  const host = typeof header === 'string' ? parseHost(header) : undefined;
  if (!host) return false;
  const ownPort = request.socket.localPort;
  const port = host.port ?? 80;
  if (loopbackNames(request.socket.localAddress).has(host.name) && port === ownPort) return true;
  return options.allowedHosts.some((entry) => {
    const allowed = parseHost(entry);
    return allowed !== undefined && allowed.name === host.name && (allowed.port === undefined || allowed.port === port);
  });
}

const isWebDataRoute = (request: FastifyRequest): boolean =>
  request.url.startsWith('/api/web/') || (request.routeOptions.url ?? '').startsWith('/api/web/');

function sameOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const host = request.headers.host?.toLowerCase();
  if (!host) return false;
  const o = origin.toLowerCase();
  return o === `http://${host}` || o === `https://${host}`;
}

export function installRequestGuards(app: FastifyInstance, hosts: HostCheckOptions | undefined): void {
  app.addHook('onRequest', async (request, reply) => {
    if (hosts?.loopbackOnly && !hostAllowed(request, hosts)) {
      request.log.warn({ host: String(request.headers.host ?? '').slice(0, 200) }, 'refused a request for a foreign Host');
      return sendError(
        reply,
        421,
        ERROR_CODES.HOST_NOT_ALLOWED,
        'This gateway answers only its loopback address (127.0.0.1, localhost or [::1] with its port); add other names to server.allowed_hosts.',
      );
    }
    if (isWebDataRoute(request) && !sameOrigin(request)) {
      request.log.warn({ origin: String(request.headers.origin ?? '').slice(0, 200), site: request.headers['sec-fetch-site'] }, 'refused a cross-origin web request');
      return sendError(reply, 403, ERROR_CODES.ORIGIN_NOT_ALLOWED, "The web page's data routes answer only the gateway's own page (same origin).");
    }
    return undefined;
  });
}
