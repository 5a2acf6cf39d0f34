// Which stored messages count as "left unanswered by a crash", on a real SQLite file with the
// real audit chain: the newest message of its conversation, from the recent window, with no
// reply sent after it. A failed turn (its apology was sent), a turn waiting for approval (the
// model's tool call follows the message) and an old message are not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUnansweredQueries } from '../../src/orchestrator/unanswered.js';
import { createAuditChain, type AuditChain } from '../../src/security/audit-chain.js';
import { defaultAuditSigningKeyPath } from '../../src/security/audit-signing-key.js';
import { ConversationStore } from '../../src/store/conversations.js';
import { openDatabase, type Db } from '../../src/store/database.js';

const DAY = 86_400_000;
let dir: string;
let db: Db;
let clock: number;
let audit: AuditChain;
let conversations: ConversationStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-unanswered-'));
  db = openDatabase(join(dir, 'data'));
  clock = Date.parse('2026-01-10T12:00:00Z');
  audit = createAuditChain({ db, signingKeyPath: defaultAuditSigningKeyPath(join(dir, 'data')), checkpointEvery: 50, now: () => new Date(clock) });
  conversations = new ConversationStore(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A user message as the orchestrator stores it, then whatever the turn got to before the "crash". */
function message(conversationId: string, platformId: string, after: 'nothing' | 'reply' | 'failed' | 'tool-call'): number {
  conversations.ensure(conversationId, 'web', clock);
  const id = conversations.append(conversationId, { role: 'user', content: 'hi', senderId: 'alice' }, { platformMessageId: platformId, now: clock });
  audit.append({ type: 'message-received', actor: 'alice', conversationId, details: { message_id: id } });
  clock += 1000;
  if (after === 'reply') conversations.append(conversationId, { role: 'assistant', content: `reply to ${platformId}` }, { now: clock });
  if (after === 'reply' || after === 'failed') audit.append({ type: 'reply-sent', actor: 'gateway', conversationId, details: {} });
  if (after === 'tool-call') conversations.append(conversationId, { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'calc_wipe', arguments: {} }] }, { now: clock });
  // Other conversations' events in between, as on a busy gateway.
  for (let i = 0; i < 20; i++) audit.append({ type: 'action-succeeded', actor: 'gateway', conversationId: 'busy', details: { i } });
  clock += 1000;
  return id;
}

describe('unanswered messages', () => {
  it('are the newest messages of the recent window with no reply sent after them', () => {
    message('old', 'p-old', 'nothing');
    clock += 2 * DAY;
    const crashed = message('crashed', 'p-crashed', 'nothing');
    message('answered', 'p-answered', 'reply');
    message('failed', 'p-failed', 'failed');
    message('waiting', 'p-waiting', 'tool-call');
    message('answered-then-crashed', 'p-first', 'reply');
    const second = message('answered-then-crashed', 'p-second', 'nothing');
    const q = createUnansweredQueries(db);
    const since = clock - DAY;
    expect(q.all(since).map((m) => [m.conversationId, m.messageId, m.senderId, m.channel])).toEqual([
      ['crashed', crashed, 'alice', 'web'],
      ['answered-then-crashed', second, 'alice', 'web'],
    ]);
    expect(q.byPlatformId('crashed', 'p-crashed', since)).toEqual({ messageId: crashed, unanswered: true });
    expect(q.byPlatformId('answered-then-crashed', 'p-first', since)).toMatchObject({ unanswered: false });
    expect(q.byPlatformId('failed', 'p-failed', since)).toMatchObject({ unanswered: false });
    expect(q.byPlatformId('old', 'p-old', since)).toMatchObject({ unanswered: false });
    expect(q.byPlatformId('crashed', 'p-unknown', since)).toBeUndefined();
    expect(q.replyAfter('answered', q.byPlatformId('answered', 'p-answered', since)!.messageId)).toBe('reply to p-answered');
    expect(q.replyAfter('waiting', q.byPlatformId('waiting', 'p-waiting', since)!.messageId)).toBeUndefined();
  });
});
