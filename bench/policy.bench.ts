// Policy and approvals on a real SQLite file (WAL, synchronous=NORMAL: the default; no fsync per commit)
// with the real audit chain: policy decisions with few and many operator rules, opening and
// deciding approval requests, the binding check, and an expiry sweep. Prints numbers; never
// fails on a timing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { configSchema } from '../src/config/schema.js';
import { createApprovalService } from '../src/policy/approval-service.js';
import { createPolicyEngine } from '../src/policy/policy-engine.js';
import { createAuditChain } from '../src/security/audit-chain.js';
import { ActionStore } from '../src/store/actions.js';
import { ApprovalStore } from '../src/store/approvals.js';
import { ConversationStore } from '../src/store/conversations.js';
import { openDatabase } from '../src/store/database.js';
import { time } from './lib.js';

const dir = mkdtempSync(join(tmpdir(), 'ss-bench-policy-'));
const db = openDatabase(join(dir, 'data'));

const FORMAT = { labelWidth: 48, countWidth: 6, decimals: 4, msWidth: 9, opsWidth: 9 };

try {
  const store = new ApprovalStore(db);
  const input = (i: number) => ({
    skill: `skill${i % 10}`, operation: 'run', declaredLevel: 'medium' as const, channel: 'web',
    conversationId: `c${i % 50}`, userId: `u${i % 30}`, turnFlagged: i % 7 === 0,
  });
  const few = createPolicyEngine({ config: configSchema.parse({ policy: { overrides: [{ skill: 'skill1', level: 'high' }] } }).policy, grants: store });
  const rules = Array.from({ length: 200 }, (_, i) => ({ skill: `skill${i % 10}`, user: `u${i}`, level: 'high' as const }));
  const many = createPolicyEngine({ config: configSchema.parse({ policy: { overrides: rules, admins: ['root'] } }).policy, grants: store });
  const fewMs = time('policy decide, 1 override', 50_000, (i) => few.decide(input(i)), FORMAT);
  const manyMs = time('policy decide, 200 overrides', 50_000, (i) => many.decide(input(i)), FORMAT);
  console.log(`  ratio 200 rules / 1 rule: ${(manyMs / fewMs).toFixed(1)}x`);

  const conversations = new ConversationStore(db);
  const actions = new ActionStore(db);
  const audit = createAuditChain({ db, signingKeyPath: join(dir, 'keys', 'audit.key'), checkpointEvery: 100 });
  let clock = Date.now();
  const service = createApprovalService({
    db, actions, audit, config: configSchema.parse({ policy: { approvers: ['bob'] } }).policy,
    outbound: { deliver: async () => 'm' }, onDecided: () => undefined, now: () => clock,
  });
  conversations.ensure('bench', 'web');
  const newAction = (i: number) => {
    const a = actions.create({ id: `act_${i}`, conversationId: 'bench', skill: 'shell', operation: 'run', arguments: { command: `echo ${i}`, cwd: '/workspace' }, securityLevel: 'high', requester: 'alice' });
    actions.transition(a.id, 'pending', 'awaiting_approval');
    return actions.get(a.id)!;
  };
  const decision = { decision: 'require_approval' as const, level: 'high' as const, reason: 'bench', approvers: ['alice', 'bob'] };
  // The actions exist before the clock starts: only opening their approvals is timed.
  const pending = Array.from({ length: 1000 }, (_, i) => newAction(i));
  const ids: string[] = [];
  const openMs = await time('approval open (persist + audit + deliver)', pending.length, async (i) => {
    ids.push((await service.open(pending[i]!, decision, { channel: 'web' })).approval.id);
  }, FORMAT);
  const decideMs = await time('approval decide (CAS x2 + audit, one tx)', 1000, (i) =>
    service.decide({ approvalId: ids[i]!, approver: 'bob', decision: 'approve' }), FORMAT,
  );
  const approved = actions.get('act_1')!;
  time('bindingHolds (hash + lookup)', 20_000, () => service.bindingHolds(approved), FORMAT);
  console.log(`  open + decide per approval: ${(openMs + decideMs).toFixed(2)} ms`);

  for (let i = 0; i < 500; i++) await service.open(newAction(10_000 + i), decision, { channel: 'web' });
  clock += 11 * 60_000;
  const start = performance.now();
  const expired = await service.expireDue();
  const sweepMs = performance.now() - start;
  console.log(`expiry sweep: ${expired.length} requests in ${sweepMs.toFixed(1)} ms (${(sweepMs / expired.length).toFixed(3)} ms each)`);
  await service.stop();
} finally {
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
