// Crash recovery in the orchestrator: actions a crash left behind are settled exactly once.
import { afterEach, describe, expect, it } from 'vitest';
import { ActionStore } from '../../src/store/actions.js';
import { ConversationStore } from '../../src/store/conversations.js';
import { turns } from '../fakes/ollama-server.js';
import { ApiTokenStore } from '../../src/store/api-tokens.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const open: TestGateway[] = [];
afterEach(async () => {
  for (const t of open.splice(0).reverse()) await t.close();
});

/** Leaves a conversation as a crash would: the model asked for a tool, the action is in `status`. */
function plantToolCall(t: TestGateway, conversationId: string, status: 'approved' | 'running', operation = 'add', args: unknown = { a: 1, b: 2 }) {
  const db = t.gateway.db;
  const conversations = new ConversationStore(db);
  const actions = new ActionStore(db);
  conversations.ensure(conversationId, 'api');
  conversations.append(conversationId, { role: 'user', content: 'go', senderId: 'alice' });
  conversations.append(conversationId, { role: 'assistant', content: '', toolCalls: [{ id: 'call-1', name: `calc_${operation}`, arguments: args }] });
  actions.create({ id: `act-${conversationId}`, conversationId, skill: 'calc', operation, arguments: args, securityLevel: 'low', requester: 'alice', toolCallId: 'call-1' });
  actions.transition(`act-${conversationId}`, 'pending', 'approved');
  if (status === 'running') actions.transition(`act-${conversationId}`, 'approved', 'running');
}

describe('recovery at start-up', () => {
  it('runs once an action policy allowed before the crash, then continues the turn', async () => {
    const first = await startTestGateway();
    open.push(first);
    plantToolCall(first, 'rec-allowed', 'approved');
    first.fake.enqueue((req) => turns.text(`resumed with ${req.messages.at(-1)!.content.includes('"sum":3') ? 'sum 3' : 'nothing'}`));
    const second = await first.restart();
    open.push(second);
    const action = await second.api('GET', '/api/actions/act-rec-allowed');
    expect(action.body.status).toBe('succeeded');
    expect(action.body.transitions.filter((x: any) => x.to === 'running')).toHaveLength(1);
    const history = await second.api('GET', '/api/conversations/rec-allowed/messages');
    expect(history.body.messages.at(-1)).toMatchObject({ role: 'assistant', content: 'resumed with sum 3' });
  });

  it('asks for approval again when a high action has no approval covering it', async () => {
    const first = await startTestGateway();
    open.push(first);
    plantToolCall(first, 'rec-high', 'approved', 'wipe', { target: 'x' });
    const second = await first.restart();
    open.push(second);
    const action = await second.api('GET', '/api/actions/act-rec-high');
    expect(action.body.status).toBe('awaiting_approval');
    const pending = await second.api('GET', '/api/approvals?status=pending');
    expect(pending.body.approvals.map((a: any) => a.action_id)).toContain('act-rec-high');
  });

  it('never re-runs an action a crash interrupted while running; the model is told', async () => {
    const first = await startTestGateway();
    open.push(first);
    plantToolCall(first, 'rec-running', 'running');
    first.fake.enqueue((req) => turns.text(`model saw: ${req.messages.at(-1)!.content.includes('interrupted') ? 'interrupted' : 'other'}`));
    const second = await first.restart();
    open.push(second);
    const action = await second.api('GET', '/api/actions/act-rec-running');
    expect(action.body.status).toBe('failed');
    expect(action.body.error).toMatch(/interrupted/);
    const history = await second.api('GET', '/api/conversations/rec-running/messages');
    expect(history.body.messages.at(-1)).toMatchObject({ role: 'assistant', content: 'model saw: interrupted' });
  });

  it('a retried client message id answers a message stored but never answered, once; later retries get the same reply', async () => {
    const t = await startTestGateway();
    open.push(t);
    // As a crash leaves it: the message and its audit event stored, no turn after them.
    const conversations = new ConversationStore(t.gateway.db);
    conversations.ensure('retry-1', 'api');
    const id = conversations.append('retry-1', { role: 'user', content: 'are you there?', senderId: 'alice' }, { platformMessageId: 'cm-1' });
    t.gateway.audit.append({ type: 'message-received', actor: 'alice', conversationId: 'retry-1', details: { channel: 'api', message_id: id, length: 14, flagged: false } });
    t.fake.enqueue((req) => turns.text(`yes, about: ${req.messages.at(-1)!.content}`));
    const retry = await t.api('POST', '/api/messages', { conversation_id: 'retry-1', user: 'alice', text: 'are you there?', client_message_id: 'cm-1' });
    expect(retry.body).toMatchObject({ status: 'completed', reply: { text: 'yes, about: are you there?' } });
    expect(t.fake.chatRequests).toHaveLength(1);
    const again = await t.api('POST', '/api/messages', { conversation_id: 'retry-1', user: 'alice', text: 'are you there?', client_message_id: 'cm-1' });
    expect(again.body).toMatchObject({ status: 'completed', reply: { text: 'yes, about: are you there?' } });
    expect(t.fake.chatRequests).toHaveLength(1);
    const history = await t.api('GET', '/api/conversations/retry-1/messages');
    expect(history.body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
  });

  it('treats a typed /approve command as a decision by its sender: the token, never a named user', async () => {
    const t = await startTestGateway();
    open.push(t);
    const tokens = new ApiTokenStore(t.gateway.db);
    const alice = tokens.create({ name: 'alice' }).token;
    const mallory = tokens.create({ name: 'mallory' }).token;
    t.fake.enqueue(turns.toolCall('calc_wipe', { target: 'tmp' }), turns.text('done wiping'));
    const first = await t.api('POST', '/api/messages', { conversation_id: 'typed', text: 'wipe tmp' }, alice);
    expect(first.body.status).toBe('awaiting_approval');
    const id = first.body.pending_approvals[0].id;
    const stranger = await t.api('POST', '/api/messages', { conversation_id: 'typed', text: `/approve ${id}` }, mallory);
    expect(stranger.body.status).toBe('failed');
    // Not even the operator's token can decide by naming the requester.
    const forged = await t.api('POST', '/api/messages', { conversation_id: 'typed', user: 'alice', text: `/approve ${id}` });
    expect(forged.status).toBe(403);
    // And a token without the right cannot post as someone else at all.
    expect((await t.api('POST', '/api/messages', { conversation_id: 'typed', user: 'alice', text: 'hi' }, mallory)).status).toBe(403);
    expect((await t.api('GET', `/api/approvals/${id}`)).body.approval.status).toBe('pending');
    const owner = await t.api('POST', '/api/messages', { conversation_id: 'typed', text: `/approve ${id}` }, alice);
    expect(owner.body.reply.text).toBe(`Approved ${id}.`);
    await t.gateway.approvals.settled();
    const history = await t.api('GET', '/api/conversations/typed/messages');
    expect(history.body.messages.at(-1)).toMatchObject({ role: 'assistant', content: 'done wiping' });
  });
});
