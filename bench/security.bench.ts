// Security primitives on a real SQLite file (WAL, synchronous=NORMAL: the default; no fsync per commit):
// audit append and verify, rate-limit checks, vault get/set, and redaction with many secrets.
// Prints numbers; never fails on a timing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { configSchema } from '../src/config/schema.js';
import { openDatabase } from '../src/store/database.js';
import { createAuditChain } from '../src/security/audit-chain.js';
import { loadAuditPublicKey } from '../src/security/audit-signing-key.js';
import { verifyAuditChain } from '../src/security/audit-verify.js';
import { createRateLimiter } from '../src/security/rate-limiter.js';
import { createSecretRedactor } from '../src/security/secret-redactor.js';
import { createVault } from '../src/security/vault/vault.js';
import { time } from './lib.js';

const dir = mkdtempSync(join(tmpdir(), 'ss-bench-security-'));
const db = openDatabase(join(dir, 'data'));

try {
  const redactor = createSecretRedactor();
  const keyPath = join(dir, 'keys', 'audit.key');
  const audit = createAuditChain({ db, signingKeyPath: keyPath, checkpointEvery: 100, redactor });
  const appendMs = time('audit append (hash + signed head, 1 commit)', 2000, (i) =>
    audit.append({ type: 'message-received', actor: `user-${i % 50}`, conversationId: `c${i % 20}`, details: { i, text: 'hello world '.repeat(8) } }),
  );
  const pub = loadAuditPublicKey(keyPath);
  const start = performance.now();
  const result = verifyAuditChain(db, pub);
  const verifyMs = performance.now() - start;
  console.log(`audit verify: ${result.checkedEvents} events, ${result.checkpoints} checkpoints, ok=${result.ok}: ${verifyMs.toFixed(1)} ms (${Math.round(result.checkedEvents / (verifyMs / 1000))} events/s)`);

  const limiter = createRateLimiter({ db, config: { ...configSchema.parse({}).security.rate_limits, per_user_per_minute: 1_000_000 } });
  const rateMs = time('rate limit checkMessage (3 buckets, 1 txn)', 2000, (i) => limiter.checkMessage({ channel: 'web', conversationId: `c${i % 20}`, userId: `u${i % 50}` }));
  console.log(`rate-limit check vs audit append: ${(rateMs / appendMs).toFixed(2)}x`);

  const t0 = performance.now();
  const vault = createVault({ db, masterKey: 'benchmark master key value', redactor });
  console.log(`vault open (scrypt N=2^15, r=8): ${(performance.now() - t0).toFixed(1)} ms`);
  time('vault set', 500, (i) => vault.set(`SECRET_${i % 50}`, `value-${i}-${'x'.repeat(40)}`));
  time('vault get', 5000, (i) => vault.get(`SECRET_${i % 50}`));

  for (const count of [10, 1000, 10_000]) {
    const r = createSecretRedactor(Array.from({ length: count }, (_, i) => `sk-${i.toString(36)}-${'q'.repeat(16)}`));
    const text = `${'lorem ipsum dolor sit amet '.repeat(38)} sk-${(count - 1).toString(36)}-${'q'.repeat(16)}`; // ~1 KB
    time(`redact 1 KB text, ${count} secrets`, 20_000, () => r.redact(text));
  }
} finally {
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
