// The terminal chat against a stand-in API: after a turn it skips past everything the turn
// stored even when that is more than one page (a long conversation), so a later follow-up
// never prints an old reply as new.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../src/cli/chat/api-client.js';
import { runTerminalChat } from '../../src/cli/chat/terminal-chat.js';

describe('terminal chat', () => {
  it('pages through a long history to the newest message id', async () => {
    const total = 2345; // messages already in the conversation, more than two pages of 1000
    const gets: number[] = [];
    const api: ApiClient = {
      async request<T>(method: string, path: string) {
        if (method === 'POST' && path === '/api/messages') return { status: 200, body: { conversation_id: 'c', status: 'completed', reply: { text: 'hi' }, pending_approvals: [] } as T };
        const after = Number(/after=(\d+)/.exec(path)?.[1] ?? 0);
        const limit = Number(/limit=(\d+)/.exec(path)?.[1] ?? 200);
        gets.push(after);
        const ids = Array.from({ length: Math.max(0, Math.min(limit, total - after)) }, (_, i) => after + i + 1);
        return { status: 200, body: { messages: ids.map((id) => ({ id, role: 'user', content: `m${id}` })) } as T };
      },
    };
    const input = new PassThrough();
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on('data', (c: Buffer) => chunks.push(c.toString()));
    const done = runTerminalChat({ api, input, output, conversationId: 'c', user: 'u' });
    input.end('hello\n');
    await done;
    expect(chunks.join('')).toContain('bot: hi');
    expect(gets).toEqual([0, 1000, 2000]);
  });
});
