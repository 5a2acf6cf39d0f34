// Fakes at the edges for the policy tests: an OutboundSink that records what it delivered,
// and a real SQLite store (with the real audit chain) in a temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import type { OutboundSink } from '../../src/core/outbound.js';
import type { ActionRequest, OutboundMessage, SecurityLevel } from '../../src/core/types.js';
import { ActionStore } from '../../src/store/actions.js';
import { ConversationStore } from '../../src/store/conversations.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import type { PolicyConfig } from '../../src/policy/policy-engine.js';
import { createAuditChain, type AuditChain } from '../../src/security/audit-chain.js';

export class RecordingOutbound implements OutboundSink {
  readonly delivered: OutboundMessage[] = [];
  private counter = 0;
  /** Runs before each delivery is recorded (e.g. to look at the database at that moment). */
  beforeDeliver?: (message: OutboundMessage) => void;
  async deliver(message: OutboundMessage): Promise<string | undefined> {
    this.beforeDeliver?.(message);
    this.delivered.push(message);
    this.counter += 1;
    return `msg-${this.counter}`;
  }
}

export function policyConfig(partial: Partial<Record<keyof PolicyConfig, unknown>> = {}): PolicyConfig {
  return configSchema.parse({ policy: partial }).policy;
}

export interface TempStore {
  dir: string;
  db: Db;
  actions: ActionStore;
  conversations: ConversationStore;
  /** The real tamper-evident audit chain on this database. */
  audit: AuditChain;
  reopen(): TempStore;
  cleanup(): void;
}

export function openTempStore(dir = mkdtempSync(join(tmpdir(), 'ss-policy-'))): TempStore {
  const db = openDatabase(dir);
  const store: TempStore = {
    dir,
    db,
    actions: new ActionStore(db),
    conversations: new ConversationStore(db),
    audit: createAuditChain({ db, signingKeyPath: join(dir, 'keys', 'audit-signing.key'), checkpointEvery: 100 }),
    reopen() {
      db.close();
      return openTempStore(dir);
    },
    cleanup() {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return store;
}

let actionCounter = 0;

/** Creates a conversation and an action already moved to awaiting_approval, as the orchestrator does. */
export function awaitingAction(
  store: TempStore,
  fields: { conversationId?: string; skill?: string; operation?: string; arguments?: unknown; level?: SecurityLevel; requester?: string } = {},
): ActionRequest {
  const conversationId = fields.conversationId ?? 'conv-1';
  store.conversations.ensure(conversationId, 'web');
  actionCounter += 1;
  const action = store.actions.create({
    id: `act_test_${actionCounter}_${Date.now()}`,
    conversationId,
    skill: fields.skill ?? 'shell',
    operation: fields.operation ?? 'run',
    arguments: fields.arguments ?? { command: 'ls -la' },
    securityLevel: fields.level ?? 'high',
    requester: fields.requester ?? 'alice',
  });
  if (!store.actions.transition(action.id, 'pending', 'awaiting_approval')) throw new Error('could not move test action');
  return store.actions.get(action.id)!;
}
