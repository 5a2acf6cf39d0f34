// Streamed drafts in the outbox table: a draft row is recorded before the platform sees it,
// is never a pending row (the pump never sends it, the backlog does not count it), and the
// reply that replaces it closes it in the same transaction that queues the reply; what is left
// open is what a restart must mark interrupted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { OutboxStore } from '../../src/store/outbox.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const target = { channel: 'loop', conversationId: 'loop:room', platformConversationId: 'room' };

function store(): OutboxStore {
  const dir = mkdtempSync(join(tmpdir(), 'securesphere-drafts-'));
  dirs.push(dir);
  return new OutboxStore(openDatabase(dir));
}

describe('outbox drafts', () => {
  it('a draft is never pending, and the reply replacing it closes it atomically', () => {
    const s = store();
    const seq = s.startDraft(target, 'The answer so');
    expect(s.openDrafts().map((d) => [d.seq, d.draft])).toEqual([[seq, 'posting']]);
    expect(s.heads('loop')).toEqual([]);
    expect(s.backlog('loop')).toBe(0);
    expect(s.pendingIn('loop', 'loop:room')).toBe(0);

    s.draftPosted(seq, 'm7');
    s.draftText(seq, 'The answer so far');
    expect(s.openDrafts()).toMatchObject([{ seq, draft: 'open', platformMessageId: 'm7', text: 'The answer so far', state: 'delivered' }]);

    const [first, second] = s.enqueue(
      [
        { ...target, kind: 'edit', text: 'The answer, part one', editOf: seq },
        { ...target, kind: 'send', text: 'part two' },
      ],
      Date.now(),
      seq,
    );
    expect(s.openDrafts()).toEqual([]);
    expect(s.get(seq)).toMatchObject({ draft: 'closed', platformMessageId: 'm7' });
    expect(s.heads('loop').map((h) => h.seq)).toEqual([first!.seq]);
    expect(s.pendingIn('loop', 'loop:room')).toBe(2);
    expect(second!.draft).toBeUndefined();
    // A closed draft's text is no longer tracked.
    s.draftText(seq, 'late update');
    expect(s.get(seq)!.text).toBe('The answer so far');
  });

  it('a draft the platform refused ends failed; a later reply is queued as usual', () => {
    const s = store();
    const seq = s.startDraft(target, 'Hello');
    s.draftFailed(seq, 'Telegram refused (502)');
    expect(s.get(seq)).toMatchObject({ state: 'failed', draft: 'closed', lastError: 'Telegram refused (502)' });
    expect(s.openDrafts()).toEqual([]);
    // Posted-later cannot reopen it.
    s.draftPosted(seq, 'm1');
    expect(s.get(seq)!.platformMessageId).toBeUndefined();
  });
});
