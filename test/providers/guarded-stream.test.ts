// Streamed reply snapshots are as safe as the final reply: a secret the model streams in
// pieces never shows even partly, leaked markup never shows, and only growth is reported.
// Real manager and OpenAI provider against the chat-completions stand-in.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createProvidersFromConfig } from '../../src/providers/from-config.js';
import { createGuardedChat } from '../../src/providers/guarded-chat.js';
import { createRateLimiter } from '../../src/security/rate-limiter.js';
import { createSecretRedactor } from '../../src/security/secret-redactor.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { startFakeChatCompletions, type FakeChatCompletions } from '../fakes/chat-completions-server.js';
import { vendorTurns } from '../fakes/vendor-script.js';

const SECRET = 'sk-live-9f8e7d6c5b4a39281706';
let fake: FakeChatCompletions;
let dir: string;
let db: Db;
beforeAll(async () => {
  fake = await startFakeChatCompletions({ flavor: 'openai', apiKey: 'k', models: ['m'] });
  dir = mkdtempSync(join(tmpdir(), 'securesphere-stream-'));
  db = openDatabase(dir);
});
afterAll(async () => {
  await fake.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('guarded streaming', () => {
  it('never shows a secret or leaked markup in a snapshot, and ends with the cleaned, redacted reply', async () => {
    const config = configSchema.parse({ providers: { profiles: { main: { type: 'openai', model: 'm', base_url: `${fake.url}/v1`, api_key: '${env:K}' } } } });
    const { manager } = createProvidersFromConfig(config, { secrets: { env: { K: 'k' } } });
    const redactor = createSecretRedactor([SECRET]);
    // Interval 0: a snapshot per delta, so every intermediate state is checked.
    const chat = createGuardedChat({ providers: manager, redactor, progressIntervalMs: 0, rateLimiter: createRateLimiter({ db, config: configSchema.parse({}).security.rate_limits }) });
    const pieces = ['Your key is ', SECRET.slice(0, 6), SECRET.slice(6, 14), SECRET.slice(14), ' and that is all', ' I will say', '<|im', '_end|>', ' about it, friend.'];
    fake.enqueue(vendorTurns.text(pieces.join(''), pieces));
    const snapshots: string[] = [];
    const res = await chat({ messages: [{ role: 'user', content: 'key?' }], tools: [], context: { channel: 'web', conversationId: 'c', userId: 'u' } }, (t) => snapshots.push(t));
    expect(res.text).toBe('Your key is [REDACTED] and that is all I will say about it, friend.');
    expect(snapshots.length).toBeGreaterThan(0);
    for (const s of snapshots) {
      expect(s).not.toContain(SECRET.slice(0, 4));
      expect(s).not.toContain('<|');
      expect(res.text.startsWith(s)).toBe(true);
    }
    for (let i = 1; i < snapshots.length; i++) expect(snapshots[i]!.length).toBeGreaterThan(snapshots[i - 1]!.length);
  });
});
