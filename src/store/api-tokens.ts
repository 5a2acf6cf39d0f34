// Named API tokens (`securesphere tokens create NAME`). A token is shown once when created and
// stored only as its SHA-256; lookups are by that hash. A token acts as `api:<name>`; only a
// token created with act_for_others may post messages on behalf of other users. Never stores
// or returns a token in clear.
import { createHash, randomBytes } from 'node:crypto';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import type { Db } from './database.js';

export interface ApiTokenInfo {
  name: string;
  identity: string;
  actForOthers: boolean;
  createdAt: Date;
  expiresAt?: Date;
  revokedAt?: Date;
  lastUsedAt?: Date;
}

interface Row {
  name: string;
  act_for_others: number;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export const TOKEN_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Names that belong to the gateway itself. */
const RESERVED = new Set(['operator']);

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class ApiTokenStore {
  private readonly insert;
  private readonly selectByHash;
  private readonly selectByName;
  private readonly selectAll;
  private readonly revokeStmt;
  private readonly touch;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO api_tokens (name, token_hash, act_for_others, created_at, expires_at) VALUES (?, ?, ?, ?, ?)');
    this.selectByHash = db.prepare('SELECT * FROM api_tokens WHERE token_hash = ?');
    this.selectByName = db.prepare('SELECT * FROM api_tokens WHERE name = ?');
    this.selectAll = db.prepare('SELECT * FROM api_tokens ORDER BY created_at');
    this.revokeStmt = db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL');
    this.touch = db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE name = ?');
  }

  /** Creates a token; the clear value is returned here and nowhere else. */
  create(input: { name: string; expiresAt?: number; actForOthers?: boolean }, now = Date.now()): { token: string; info: ApiTokenInfo } {
    if (!TOKEN_NAME.test(input.name)) throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, 'A token name is 1-64 lower-case letters, digits, "-" or "_", starting with a letter or digit.');
    if (RESERVED.has(input.name)) throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `"${input.name}" is the gateway's own token; pick another name.`);
    if (this.selectByName.get(input.name)) throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `A token named ${input.name} exists already; revoke it first or pick another name.`);
    if (input.expiresAt !== undefined && input.expiresAt <= now) throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, 'The expiry is in the past.');
    const token = `ss_${randomBytes(32).toString('base64url')}`;
    this.insert.run(input.name, hashToken(token), input.actForOthers ? 1 : 0, now, input.expiresAt ?? null);
    return { token, info: toInfo(this.selectByName.get(input.name) as Row) };
  }

  /** The live (not revoked, not expired) token with this value, or undefined. */
  verify(token: string, now = Date.now()): ApiTokenInfo | undefined {
    const row = this.selectByHash.get(hashToken(token)) as Row | undefined;
    if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return undefined;
    // Coarse on purpose: one write per token per minute at most.
    if (row.last_used_at === null || now - row.last_used_at > 60_000) this.touch.run(now, row.name);
    return toInfo(row);
  }

  list(): ApiTokenInfo[] {
    return (this.selectAll.all() as Row[]).map(toInfo);
  }

  revoke(name: string, now = Date.now()): ApiTokenInfo {
    if (this.revokeStmt.run(now, name).changes === 0) {
      const row = this.selectByName.get(name) as Row | undefined;
      if (!row) throw new SecureSphereError(ERROR_CODES.NOT_FOUND, `No token named ${name}: see \`securesphere tokens list\`.`);
    }
    return toInfo(this.selectByName.get(name) as Row);
  }
}

function toInfo(row: Row): ApiTokenInfo {
  return {
    name: row.name,
    identity: `api:${row.name}`,
    actForOthers: row.act_for_others === 1,
    createdAt: new Date(row.created_at),
    ...(row.expires_at !== null ? { expiresAt: new Date(row.expires_at) } : {}),
    ...(row.revoked_at !== null ? { revokedAt: new Date(row.revoked_at) } : {}),
    ...(row.last_used_at !== null ? { lastUsedAt: new Date(row.last_used_at) } : {}),
  };
}
