// Verifies the whole audit chain against a trusted public key: every event's link and hash,
// every checkpoint signature and head hash, and the signed head. Reports the first bad seq.
//
// What each tampering looks like here:
//  - edited row: its recomputed hash differs (or the next row's prev_hash does);
//  - deleted row: a gap in seq;
//  - inserted / reordered rows: seq and prev_hash no longer line up, or hashes differ;
//  - a consistent rewrite (attacker recomputed every hash): a signed checkpoint or the
//    signed head no longer matches;
//  - truncation: the signed head or a checkpoint points past the last event.
// Limitation: wiping events, checkpoints and head together leaves an empty, "valid" chain;
// compare the event count with an exported copy to catch that.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Db } from '../store/database.js';
import {
  AUDIT_GENESIS_HASH,
  auditEventHash,
  checkpointPayload,
  headPayload,
  type AuditEventRow,
  type CheckpointRow,
  type HeadRow,
} from './audit-format.js';

export interface AuditVerifyResult {
  ok: boolean;
  /** Events whose link and hash checked out before the first failure. */
  checkedEvents: number;
  checkpoints: number;
  firstBadSeq?: number;
  reason?: string;
}

interface Failure {
  seq: number;
  reason: string;
}

export function verifyAuditChain(db: Db, publicKey: KeyObject | string | Buffer): AuditVerifyResult {
  const key = typeof publicKey === 'string' || Buffer.isBuffer(publicKey) ? createPublicKey(publicKey) : publicKey;
  // One read transaction: a consistent snapshot even while the gateway keeps appending.
  return db.transaction(() => run(db, key))();
}

function run(db: Db, key: KeyObject): AuditVerifyResult {
  const failures: Failure[] = [];
  const sigOk = (payload: Buffer, signature: string): boolean => {
    try {
      return verify(null, payload, key, Buffer.from(signature, 'base64'));
    } catch {
      return false;
    }
  };

  const checkpoints = db.prepare('SELECT * FROM audit_checkpoints ORDER BY seq').all() as CheckpointRow[];
  const bySeq = new Map<number, CheckpointRow>();
  for (const cp of checkpoints) {
    if (sigOk(checkpointPayload(cp.seq, cp.head_hash, cp.time), cp.signature)) bySeq.set(cp.seq, cp);
    else failures.push({ seq: cp.seq, reason: `checkpoint at seq ${cp.seq} has an invalid signature` });
  }
  const head = db.prepare('SELECT seq, hash, time, signature FROM audit_head WHERE id = 1').get() as HeadRow | undefined;
  const headValid = head !== undefined && sigOk(headPayload(head.seq, head.hash, head.time), head.signature);
  if (head && !headValid) failures.push({ seq: head.seq, reason: `the signed head (seq ${head.seq}) has an invalid signature` });

  let expected = 1;
  let prev = AUDIT_GENESIS_HASH;
  let lastGoodCheckpoint = 0;
  let headHashSeen: string | undefined;
  let chainBroken = false;
  for (const row of db.prepare('SELECT * FROM audit_events ORDER BY seq').iterate() as IterableIterator<AuditEventRow>) {
    const problem = checkRow(row, expected, prev);
    if (problem) {
      failures.push(problem);
      chainBroken = true;
      break;
    }
    const cp = bySeq.get(row.seq);
    if (cp && cp.head_hash !== row.hash) {
      failures.push({
        seq: lastGoodCheckpoint + 1,
        reason: `events between seq ${lastGoodCheckpoint + 1} and ${row.seq} were rewritten: the signed checkpoint at seq ${row.seq} does not match`,
      });
      chainBroken = true;
      break;
    }
    if (cp) lastGoodCheckpoint = row.seq;
    if (head && row.seq === head.seq) headHashSeen = row.hash;
    prev = row.hash;
    expected += 1;
  }
  const checkedEvents = expected - 1;

  if (!chainBroken) {
    const lastSeq = checkedEvents;
    const beyond = checkpoints.find((cp) => cp.seq > lastSeq && bySeq.has(cp.seq));
    if (beyond) {
      failures.push({ seq: lastSeq + 1, reason: `chain truncated: a signed checkpoint exists for seq ${beyond.seq} but the last event is seq ${lastSeq}` });
    }
    if (head === undefined) {
      if (lastSeq > 0) failures.push({ seq: 1, reason: 'the signed head record is missing although events exist' });
    } else if (headValid) {
      if (head.seq > lastSeq) {
        failures.push({ seq: lastSeq + 1, reason: `chain truncated: the signed head is at seq ${head.seq} but the last event is seq ${lastSeq}` });
      } else if (head.seq < lastSeq) {
        failures.push({ seq: head.seq + 1, reason: `events after seq ${head.seq} were added without the signing key` });
      } else if (headHashSeen !== head.hash) {
        failures.push({
          seq: lastGoodCheckpoint + 1,
          reason: `events between seq ${lastGoodCheckpoint + 1} and ${head.seq} were rewritten: the signed head does not match`,
        });
      }
    }
  }

  const first = failures.sort((a, b) => a.seq - b.seq)[0];
  const base = { checkedEvents, checkpoints: checkpoints.length };
  return first ? { ok: false, ...base, firstBadSeq: first.seq, reason: first.reason } : { ok: true, ...base };
}

function checkRow(row: AuditEventRow, expected: number, prev: string): Failure | undefined {
  if (row.seq > expected) {
    return { seq: expected, reason: `event seq ${expected}${row.seq - expected > 1 ? `..${row.seq - 1}` : ''} is missing (deleted)` };
  }
  if (row.seq !== expected) return { seq: row.seq, reason: `unexpected event with seq ${row.seq} (inserted)` };
  if (row.prev_hash !== prev) return { seq: row.seq, reason: `event ${row.seq} does not link to the previous event (inserted, deleted or reordered)` };
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(row.details) as Record<string, unknown>;
  } catch {
    return { seq: row.seq, reason: `event ${row.seq} has unreadable details (edited)` };
  }
  const hash = auditEventHash(prev, {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    conversationId: row.conversation_id,
    type: row.type,
    details,
  });
  if (hash !== row.hash) return { seq: row.seq, reason: `event ${row.seq} does not match its hash (edited)` };
  return undefined;
}
