// The outbox table keeps what was sent for a while and then forgets it, but never a row still
// owed (pending) and never a sent message a younger edit still points at (foreign key).
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

const DAY = 24 * 60 * 60_000;
const target = { channel: 'loop', conversationId: 'loop:room', platformConversationId: 'room' };

describe('outbox store', () => {
  it('prunes old finished rows, keeping pending ones and messages a younger edit refers to', () => {
    const dir = mkdtempSync(join(tmpdir(), 'securesphere-outbox-'));
    dirs.push(dir);
    const db = openDatabase(dir);
    const store = new OutboxStore(db);
    const now = Date.now();
    const [oldSent, oldPrompt, oldPending] = store.enqueue(
      [
        { ...target, kind: 'send', text: 'old reply' },
        { ...target, kind: 'send', text: 'old prompt' },
        { ...target, kind: 'send', text: 'never delivered' },
      ],
      now - 40 * DAY,
    );
    store.markDelivered(oldSent!.seq, 'm1', now - 40 * DAY);
    store.markDelivered(oldPrompt!.seq, 'm2', now - 40 * DAY);
    const [edit] = store.enqueue([{ ...target, kind: 'edit', text: 'decided', editOf: oldPrompt!.seq }], now - DAY);
    store.markDelivered(edit!.seq, 'm2', now - DAY);

    expect(store.prune(now - 30 * DAY)).toBe(1);
    expect(store.get(oldSent!.seq)).toBeUndefined();
    expect(store.get(oldPrompt!.seq)).toMatchObject({ state: 'delivered' });
    expect(store.get(oldPending!.seq)).toMatchObject({ state: 'pending' });
    expect(store.get(edit!.seq)).toMatchObject({ state: 'delivered' });
    db.close();
  });
});
