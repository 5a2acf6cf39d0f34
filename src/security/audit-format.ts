// The audit chain's wire format, shared by the writer (audit-chain.ts) and the verifier
// (audit-verify.ts) so both hash and sign exactly the same bytes. Changing anything here
// breaks verification of every chain already written: add a new version instead.
import { canonicalJson, sha256Hex } from '../core/canonical-json.js';
import type { AuditEvent } from './audit-log.js';

/** prev_hash of event 1. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** The fields that are hashed: everything except prevHash and hash themselves. */
export interface HashedEvent {
  seq: number;
  time: string;
  actor: string;
  conversationId: string | null;
  type: string;
  details: Record<string, unknown>;
}

/** hash = SHA-256(prev_hash || canonical JSON of the event), hex. */
export function auditEventHash(prevHash: string, event: HashedEvent): string {
  return sha256Hex(prevHash + canonicalJson(event));
}

// Distinct prefixes so a signed head can never be replayed as a checkpoint or vice versa.
export function checkpointPayload(seq: number, headHash: string, time: string): Buffer {
  return Buffer.from(`securesphere-audit-checkpoint-v1\n${seq}\n${headHash}\n${time}`, 'utf8');
}

export function headPayload(seq: number, hash: string, time: string): Buffer {
  return Buffer.from(`securesphere-audit-head-v1\n${seq}\n${hash}\n${time}`, 'utf8');
}

export interface AuditEventRow {
  seq: number;
  time: string;
  actor: string;
  conversation_id: string | null;
  type: string;
  details: string;
  prev_hash: string;
  hash: string;
}

export function rowToEvent(row: AuditEventRow): AuditEvent {
  return {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    conversationId: row.conversation_id,
    type: row.type,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface CheckpointRow {
  seq: number;
  head_hash: string;
  time: string;
  public_key: string;
  signature: string;
}

export interface HeadRow {
  seq: number;
  hash: string;
  time: string;
  signature: string;
}
