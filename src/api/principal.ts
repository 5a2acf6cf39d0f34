// Who is calling the HTTP API: the identity bound to the bearer token that authenticated the
// request. The operator's token (config or <data_dir>/api-token) is `api:operator`; tokens made
// with `securesphere tokens create NAME` are `api:NAME`. Routes take the decider of an approval
// and the default sender of a message from here, never from a request field.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import type { ApiTokenStore } from '../store/api-tokens.js';

export interface Principal {
  identity: string;
  /** May post messages as another `api:` user (the operator's token, or a token created with that right). */
  actForOthers: boolean;
}

/** Checks a presented bearer token; undefined when it is not a live token. */
export type TokenVerifier = (presented: string) => Principal | undefined;

export const OPERATOR_IDENTITY = 'api:operator';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function createTokenVerifier(options: { operatorToken: string; tokens?: Pick<ApiTokenStore, 'verify'> }): TokenVerifier {
  const expected = digest(options.operatorToken);
  return (presented) => {
    // Constant time over the SHA-256, so neither content nor length leaks.
    if (timingSafeEqual(digest(presented), expected)) return { identity: OPERATOR_IDENTITY, actForOthers: true };
    const named = options.tokens?.verify(presented);
    return named ? { identity: named.identity, actForOthers: named.actForOthers } : undefined;
  };
}

/**
 * Who decides (an approval, a flag clearing): the token's identity. A body naming someone else
 * is refused, not obeyed; naming the token's own identity is accepted (older clients send it).
 */
export function deciderFor(request: FastifyRequest, named: string | undefined): string {
  const { identity } = principalOf(request);
  if (named !== undefined && named !== identity) {
    throw new SecureSphereError(
      ERROR_CODES.APPROVAL_NOT_ALLOWED,
      `This token decides as ${identity}, not as ${named.slice(0, 200)}: the decider is the token's identity. Create a token for that person with \`securesphere tokens create NAME\`.`,
    );
  }
  return identity;
}

/** The caller of an authenticated /api route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new SecureSphereError(ERROR_CODES.UNAUTHORIZED, 'This route needs a bearer token.');
  return request.principal;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Who a request acts as: the token's own identity, or (only for a token allowed to act for
 * others) the named `api:` user. A bare name means `api:<name>`; another channel's identity is
 * refused: chat-platform users speak through their platform, not through the API.
 */
export function actingIdentity(principal: Principal, named: string | undefined): string {
  if (named === undefined) return principal.identity;
  const identity = named.includes(':') ? named : `api:${named}`;
  if (identity === principal.identity) return identity;
  if (!identity.startsWith('api:') || identity.length <= 4) {
    throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `Only api: users can be named here (got ${named.slice(0, 100)}); chat users speak through their own channel.`);
  }
  if (!principal.actForOthers) {
    throw new SecureSphereError(ERROR_CODES.FORBIDDEN, `This token (${principal.identity}) may not act for ${identity}: create one with \`securesphere tokens create NAME --act-for-others\`.`);
  }
  return identity;
}
