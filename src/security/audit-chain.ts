// The tamper-evident audit log: every event is hashed together with the previous event's
// hash, the head of the chain is re-signed on every append, and a signed checkpoint
// (seq, head hash) is kept every N events. Editing, deleting, inserting, reordering or
// truncating rows is then caught by verifyAuditChain (audit-verify.ts). Details pass through
// the secret redactor before they are hashed, so a secret never lands in a row.
import { sign } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../core/canonical-json.js';
import { ERROR_CODES, SecureSphereError } from '../core/errors.js';
import type { Db } from '../store/database.js';
import type { AuditEvent, AuditEventInput, AuditLog } from './audit-log.js';
import {
  AUDIT_GENESIS_HASH,
  auditEventHash,
  checkpointPayload,
  headPayload,
  type HashedEvent,
} from './audit-format.js';
import { exportAuditJsonl, listAuditEvents, tailAuditEvents, type AuditListOptions } from './audit-read.js';
import { auditSigningKeyPathOf, loadOrCreateAuditSigningKey } from './audit-signing-key.js';
import type { SecretRedactor } from './secret-redactor.js';

export interface AuditCheckpoint {
  seq: number;
  headHash: string;
  time: string;
  /** Base64 Ed25519 signature over checkpointPayload(seq, headHash, time). */
  signature: string;
}

export interface AuditChain extends AuditLog {
  /** Append one event (synchronous, one transaction). Returns the stored event. */
  append(event: AuditEventInput): AuditEvent;
  /** Sign a checkpoint at the current head now; undefined when the chain is empty. */
  checkpoint(): AuditCheckpoint | undefined;
  /** Current head, or seq 0 and the genesis hash when empty. */
  head(): { seq: number; hash: string };
  tail(n?: number): AuditEvent[];
  list(options?: AuditListOptions): AuditEvent[];
  /** JSON lines (no trailing newline), oldest first. */
  exportJsonl(): Iterable<string>;
  /** SPKI PEM of the checkpoint signing key. */
  readonly publicKeyPem: string;
}

export interface AuditChainOptions {
  db: Db;
  /** Ed25519 private key file (PEM, mode 0600); generated on first use. Default: <data_dir>/keys/audit-signing.key (see defaultAuditSigningKeyPath). */
  signingKeyPath: string;
  /** Sign a checkpoint every N events (config security.audit.checkpoint_every). */
  checkpointEvery: number;
  redactor?: SecretRedactor;
  /** Clock, for tests. */
  now?: () => Date;
}

const inputSchema = z.object({
  type: z.string().min(1).max(100),
  actor: z.string().min(1).max(512),
  conversationId: z.string().max(512).nullish(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** The chain as a configuration sets it up (security.audit.*): the gateway's and every CLI command's. */
export function createAuditChainFromConfig(
  db: Db,
  config: Parameters<typeof auditSigningKeyPathOf>[0] & { security: { audit: { checkpoint_every: number } } },
  redactor?: SecretRedactor,
): AuditChain {
  return createAuditChain({ db, signingKeyPath: auditSigningKeyPathOf(config), checkpointEvery: config.security.audit.checkpoint_every, redactor });
}

export function createAuditChain(options: AuditChainOptions): AuditChain {
  const { db, redactor } = options;
  const now = options.now ?? (() => new Date());
  const every = Math.max(1, Math.floor(options.checkpointEvery));
  const key = loadOrCreateAuditSigningKey(options.signingKeyPath);

  const selectLast = db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  const insertEvent = db.prepare(
    `INSERT INTO audit_events (seq, time, actor, conversation_id, type, details, prev_hash, hash)
     VALUES (@seq, @time, @actor, @conversationId, @type, @details, @prevHash, @hash)`,
  );
  const upsertHead = db.prepare(
    `INSERT INTO audit_head (id, seq, hash, time, signature) VALUES (1, @seq, @hash, @time, @signature)
     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, time = excluded.time, signature = excluded.signature`,
  );
  const insertCheckpoint = db.prepare(
    `INSERT OR REPLACE INTO audit_checkpoints (seq, head_hash, time, public_key, signature)
     VALUES (@seq, @headHash, @time, @publicKey, @signature)`,
  );

  const lastRow = () => selectLast.get() as { seq: number; hash: string } | undefined;
  const signB64 = (payload: Buffer) => sign(null, payload, key.privateKey).toString('base64');

  const writeCheckpoint = (seq: number, headHash: string, time: string): AuditCheckpoint => {
    const cp = { seq, headHash, time, signature: signB64(checkpointPayload(seq, headHash, time)) };
    insertCheckpoint.run({ ...cp, publicKey: key.publicKeyPem });
    return cp;
  };

  /** `detailsJson` is the canonical JSON that `event.details` was parsed from; it is what is stored. */
  const appendTx = db.transaction((event: Omit<HashedEvent, 'seq'>, detailsJson: string): AuditEvent => {
    const last = lastRow();
    const seq = (last?.seq ?? 0) + 1;
    const prevHash = last?.hash ?? AUDIT_GENESIS_HASH;
    const hashed: HashedEvent = { seq, ...event };
    const hash = auditEventHash(prevHash, hashed);
    insertEvent.run({ ...hashed, details: detailsJson, prevHash, hash });
    upsertHead.run({ seq, hash, time: event.time, signature: signB64(headPayload(seq, hash, event.time)) });
    if (seq % every === 0) writeCheckpoint(seq, hash, event.time);
    return { ...hashed, prevHash, hash };
  });

  const checkpointTx = db.transaction((): AuditCheckpoint | undefined => {
    const last = lastRow();
    return last ? writeCheckpoint(last.seq, last.hash, now().toISOString()) : undefined;
  });

  return {
    publicKeyPem: key.publicKeyPem,
    append(input) {
      const parsed = inputSchema.safeParse(input);
      if (!parsed.success) {
        throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, `Audit event rejected: ${parsed.error.issues[0]?.message ?? 'invalid'}.`);
      }
      const raw = {
        actor: wellFormed(parsed.data.actor),
        conversationId: parsed.data.conversationId == null ? null : wellFormed(parsed.data.conversationId),
        type: wellFormed(parsed.data.type),
        details: parsed.data.details ?? {},
      };
      const clean = redactor ? redactor.redactDeep(raw) : raw;
      let detailsJson: string;
      let details: Record<string, unknown>;
      try {
        // Round-trip through canonical JSON so what is hashed is exactly what is stored and
        // re-read by the verifier (Dates become strings, undefined fields disappear). The
        // string is stored as is: the verifier hashes what it parses back from it.
        detailsJson = canonicalJson(clean.details);
        details = JSON.parse(detailsJson) as Record<string, unknown>;
      } catch (cause) {
        throw new SecureSphereError(ERROR_CODES.BAD_REQUEST, 'Audit event details must be JSON-serialisable.', { cause });
      }
      // IMMEDIATE: take the write lock before reading the head, so two processes appending at
      // once cannot both build on the same previous hash.
      return appendTx.immediate({ time: now().toISOString(), actor: clean.actor, conversationId: clean.conversationId, type: clean.type, details }, detailsJson);
    },
    checkpoint: () => checkpointTx.immediate(),
    head() {
      const last = lastRow();
      return last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: AUDIT_GENESIS_HASH };
    },
    tail: (n) => tailAuditEvents(db, n),
    list: (opts) => listAuditEvents(db, opts),
    exportJsonl: () => exportAuditJsonl(db),
  };
}

// SQLite stores TEXT as UTF-8, which cannot hold a lone UTF-16 surrogate: it would come back
// as U+FFFD and the row would then fail verification. Hostile ids must not be able to do that.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}
