// The Discord channel end to end: discord.js inside a whole in-process gateway, the Discord
// stand-in on real sockets, the fake Ollama. /ask acknowledged (deferred) before a 5 s model
// answers and completed by editing the original response; an answer after the interaction token
// died goes to the channel; button prompts refuse a stranger ephemerally and are updated after
// the approver's click; a dropped connection loses nothing and answers once; 429 honoured;
// guild chatter without a mention ignored; /status and /new; no pings from the bot.
import { afterEach, describe, expect, it } from 'vitest';
import { turns } from '../../fakes/ollama-server.js';
import { waitFor, type FakeMessage } from '../../fakes/discord.js';
import { ALICE, BOB, MALLORY, startDiscordGateway, type DiscordGateway } from './discord-gateway.js';

describe('Discord channel through the whole gateway', () => {
  let g: DiscordGateway | undefined;
  afterEach(async () => {
    await g?.close();
    g = undefined;
  });

  const contents = (list: FakeMessage[]) => list.map((m) => m.content);

  it('registers the slash commands in the configured guild and answers a DM once, typing while a slow model thinks', async () => {
    g = await startDiscordGateway();
    expect(g.discord.state.commands.map((c) => c.name).sort()).toEqual(['approve', 'ask', 'deny', 'new', 'status']);
    expect(new Set(g.discord.state.commands.map((c) => c.guildId))).toEqual(new Set([g.guildId]));
    const dm = g.discord.dmChannel(ALICE);
    // A model that takes a while: the user sees the bot typing before the answer.
    g.t.fake.enqueue(turns.delay(2_500, turns.text('hello over dm')));
    g.discord.sendMessage({ user: ALICE, channelId: dm, content: 'hello' });
    await expect.poll(() => contents(g!.discord.botMessages(dm)), { timeout: 15_000 }).toEqual(['hello over dm']);
    const typed = g.discord.state.typing.filter((t) => t.channelId === dm);
    expect(typed).toHaveLength(1);
    expect(typed[0]!.at).toBeLessThanOrEqual(Date.parse(g.discord.botMessages(dm)[0]!.timestamp));
    const request = g.discord.requests.find((r) => r.method === 'POST' && r.path === `/channels/${dm}/messages`);
    expect(request?.status).toBe(200);
  });

  it('acknowledges /ask with a deferred reply before a 5 s model answers, then edits the original response', async () => {
    g = await startDiscordGateway();
    g.t.fake.enqueue(turns.delay(5_000, turns.text('slow answer')));
    const edits: Array<{ id: string; content: string; at: number }> = [];
    g.discord.onBotMessage((m, kind) => {
      if (kind === 'edited') edits.push({ id: m.id, content: m.content, at: Date.now() });
    });
    const ask = g.discord.runCommand({ user: ALICE, channelId: g.general, name: 'ask', options: { text: 'think hard' } });
    const deferred = await waitFor(() => ask.callbacks.find((c) => c.type === 5), 10_000, 'the deferred callback');
    // The stand-in refuses callbacks after 3 s (by its own clock), so an answer here was in time.
    const answer = await waitFor(() => edits.find((e) => e.id === ask.originalId && e.content === 'slow answer'), 20_000, 'the edited original');
    expect(deferred.at).toBeLessThan(answer.at);
    expect(g.t.fake.chatRequests.at(-1)!.messages.some((m) => m.role === 'user' && m.content === 'think hard')).toBe(true);
    expect(ask.callbacks.map((c) => c.type)).toEqual([5]);
    expect(g.discord.requests.some((r) => r.method === 'PATCH' && r.path.includes('%40original') && r.status === 200)).toBe(true);
    // Only the interaction response carries it: nothing was posted to the channel as well.
    expect(contents(g.discord.botMessages(g.general))).toEqual(['slow answer']);
  }, 30_000);

  it('posts a late answer to the channel once the interaction token has died', async () => {
    g = await startDiscordGateway();
    g.t.fake.enqueue(turns.delay(1_500, turns.text('late answer')));
    const ask = g.discord.runCommand({ user: ALICE, channelId: g.general, name: 'ask', options: { text: 'take your time' } });
    await waitFor(() => ask.callbacks.find((c) => c.type === 5), 10_000, 'the deferred callback');
    // Discord's clock moves past the token's 15 minutes while the model thinks.
    g.discord.advanceClock(16 * 60_000);
    await expect.poll(() => g!.discord.botMessages(g!.general).filter((m) => m.content === 'late answer').length, { timeout: 15_000 }).toBe(1);
    const late = g.discord.botMessages(g.general).find((m) => m.content === 'late answer')!;
    expect(late.interactionId).toBeUndefined();
    expect(g.discord.requests.some((r) => r.method === 'PATCH' && r.path.includes('%40original') && r.status === 401)).toBe(true);
  }, 30_000);

  it("refuses a stranger's click ephemerally, then takes the approver's and updates the prompt", async () => {
    g = await startDiscordGateway();
    g.t.fake.enqueue(turns.toolCall('calc_wipe', { target: 'tmp' }), turns.text('wipe done'));
    g.discord.sendMessage({ user: ALICE, channelId: g.general, content: 'wipe tmp please', mentionBot: true });
    const prompt = await waitFor(() => g!.discord.botMessages(g!.general).find((m) => m.components.length > 0), 15_000, 'the prompt');
    const buttons = (prompt.components[0] as { components: Array<{ custom_id: string; label: string }> }).components;
    expect(buttons.map((b) => b.label)).toEqual(['Approve', 'Deny', 'Allow for this conversation']);
    for (const b of buttons) expect(b.custom_id).toMatch(/^ss:[adc]:[A-Za-z0-9_-]+$/);
    const approve = buttons[0]!.custom_id;

    const byMallory = g.discord.pressButton({ user: MALLORY, messageId: prompt.id, customId: approve });
    const refusal = await waitFor(() => byMallory.ephemeral[0], 10_000, "the stranger's answer");
    expect(refusal).toMatch(/may not/i);
    expect(byMallory.callbacks.map((c) => c.type)).toEqual([4]);
    expect(prompt.components).toHaveLength(1);

    const byBob = g.discord.pressButton({ user: BOB, messageId: prompt.id, customId: approve });
    await waitFor(() => byBob.callbacks.find((c) => c.type === 6), 10_000, "the approver's acknowledgement");
    await expect.poll(() => prompt.components.length, { timeout: 15_000 }).toBe(0);
    expect(prompt.content).toContain(`Approved by discord:${BOB}`);
    await expect.poll(() => contents(g!.discord.botMessages(g!.general)), { timeout: 15_000 }).toContain('wipe done');
  }, 40_000);

  it('answers a message sent while the connection was dropped once, after the resume replays it', async () => {
    g = await startDiscordGateway();
    const dm = g.discord.dmChannel(ALICE);
    g.discord.sendMessage({ user: ALICE, channelId: dm, content: 'before the drop' });
    await expect.poll(() => contents(g!.discord.botMessages(dm)), { timeout: 15_000 }).toEqual(['before the drop']);
    const asked = g.t.fake.chatRequests.length;
    g.discord.gateway.drop();
    g.discord.sendMessage({ user: ALICE, channelId: dm, content: 'during the gap' });
    await expect.poll(() => contents(g!.discord.botMessages(dm)), { timeout: 20_000 }).toEqual(['before the drop', 'during the gap']);
    expect(g.discord.gateway.stats.resumes).toBeGreaterThanOrEqual(1);
    expect(g.discord.gateway.stats.identifies).toBe(1);
    // A resume that replays more than was missed changes nothing.
    g.discord.gateway.replayOverlapOnce(3);
    g.discord.gateway.reconnect();
    await waitFor(() => (g!.discord.gateway.stats.resumes >= 2 && g!.discord.gateway.connected() ? true : undefined), 20_000, 'the second resume');
    g.discord.sendMessage({ user: ALICE, channelId: dm, content: 'after the replay' });
    await expect.poll(() => contents(g!.discord.botMessages(dm)), { timeout: 20_000 }).toEqual(['before the drop', 'during the gap', 'after the replay']);
    expect(g.t.fake.chatRequests.length - asked).toBe(2);
  }, 60_000);

  it('catches up from history when Discord refuses the resume after a drop (new session), answering the missed message once', async () => {
    g = await startDiscordGateway();
    const dm = g.discord.dmChannel(ALICE);
    g.discord.sendMessage({ user: ALICE, channelId: dm, content: 'first' });
    await expect.poll(() => contents(g!.discord.botMessages(dm)), { timeout: 15_000 }).toEqual(['first']);
    // The session is gone: what was dispatched to it is never replayed; the new session's
    // catch-up reads the channel's history after the last stored message.
    g.discord.gateway.refuseNextResume();
    g.discord.gateway.drop();
    g.discord.sendMessage({ user: ALICE, channelId: dm, content: 'lost with the session' });
    await expect.poll(() => contents(g!.discord.botMessages(dm)), { timeout: 30_000 }).toEqual(['first', 'lost with the session']);
    expect(g.discord.gateway.stats.identifies).toBe(2);
    expect(g.discord.gateway.stats.resumes).toBe(0);
    expect(g.discord.requests.some((r) => r.method === 'GET' && r.path === `/channels/${dm}/messages`)).toBe(true);
  }, 60_000);

  it('honours a 429 retry_after through the outbox and answers once', async () => {
    g = await startDiscordGateway();
    const dm = g.discord.dmChannel(BOB);
    g.discord.rateLimitNext({ retryAfterS: 1, match: new RegExp(`/channels/${dm}/messages$`) });
    g.discord.sendMessage({ user: BOB, channelId: dm, content: 'rate me' });
    await expect.poll(() => contents(g!.discord.botMessages(dm)), { timeout: 20_000 }).toEqual(['rate me']);
    const posts = g.discord.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${dm}/messages`);
    expect(posts.map((r) => r.status)).toEqual([429, 200]);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(1_000);
  }, 30_000);

  it('ignores guild chatter without a mention, answers a mention without pinging anyone, and handles /status and /new', async () => {
    g = await startDiscordGateway();
    const asked = g.t.fake.chatRequests.length;
    g.discord.sendMessage({ user: ALICE, channelId: g.general, content: 'just talking to friends' });
    g.t.fake.enqueue(turns.text('hi @everyone <@' + BOB + '>'));
    g.discord.sendMessage({ user: ALICE, channelId: g.general, content: 'hello bot', mentionBot: true });
    await expect.poll(() => g!.discord.botMessages(g!.general).length, { timeout: 15_000 }).toBe(1);
    expect(g.t.fake.chatRequests.length - asked).toBe(1);
    expect(g.t.fake.chatRequests.at(-1)!.messages.some((m) => m.content === 'just talking to friends')).toBe(false);
    expect(g.t.fake.chatRequests.at(-1)!.messages.some((m) => m.content === 'hello bot')).toBe(true);
    const post = g.discord.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${g!.general}/messages`);
    expect(post).toHaveLength(1);

    const status = g.discord.runCommand({ user: ALICE, channelId: g.general, name: 'status' });
    expect(await waitFor(() => status.ephemeral[0], 10_000, 'the status answer')).toMatch(/Conversation .*approval/);
    const fresh = g.discord.runCommand({ user: ALICE, channelId: g.general, name: 'new' });
    await waitFor(() => fresh.callbacks.find((c) => c.type === 4), 10_000, 'the /new answer');
    expect(g.discord.state.messages.get(fresh.originalId!)!.content).toMatch(/new conversation/i);
  }, 30_000);
  it('completes a long /ask answer by editing the original and adding follow-ups; channel chatter meanwhile does not take it', async () => {
    g = await startDiscordGateway();
    const words = Array.from({ length: 500 }, (_, i) => `w${String(i).padStart(6, '0')}`);
    g.t.fake.enqueue(turns.delay(1_000, turns.text(words.join(' '))));
    const ask = g.discord.runCommand({ user: ALICE, channelId: g.general, name: 'ask', options: { text: 'say a lot' } });
    await waitFor(() => ask.callbacks.find((c) => c.type === 5), 10_000, 'the deferred callback');
    g.discord.sendMessage({ user: MALLORY, channelId: g.general, content: 'unrelated chatter' });
    // The answer (about 4,500 characters) arrives as the original plus follow-ups, one by one:
    // wait for all of them, then check every word came once, in order.
    const parts = () => [ask.originalId!, ...ask.followUpIds].map((id) => g!.discord.state.messages.get(id)?.content ?? '');
    await expect.poll(() => parts().join(' ').split(/\s+/), { timeout: 15_000 }).toEqual(words);
    for (const part of parts()) expect(part.length).toBeLessThanOrEqual(2000);
    // Everything went through the interaction: nothing was posted to the channel directly.
    expect(g.discord.requests.some((r) => r.method === 'POST' && r.path === `/channels/${g!.general}/messages`)).toBe(false);
  }, 30_000);

  it('decides with /approve ID as the user who ran it, and retries a reply Discord answered with a 5xx', async () => {
    g = await startDiscordGateway();
    g.t.fake.enqueue(turns.toolCall('calc_wipe', { target: 'tmp' }), turns.text('wipe done'));
    g.discord.sendMessage({ user: ALICE, channelId: g.general, content: 'wipe tmp', mentionBot: true });
    const prompt = await waitFor(() => g!.discord.botMessages(g!.general).find((m) => m.components.length > 0), 15_000, 'the prompt');
    const approvalId = /^ss:a:(.+)$/.exec((prompt.components[0] as { components: Array<{ custom_id: string }> }).components[0]!.custom_id)![1]!;
    const byMallory = g.discord.runCommand({ user: MALLORY, channelId: g.general, name: 'approve', options: { id: approvalId } });
    expect(await waitFor(() => byMallory.ephemeral[0], 10_000, "Mallory's answer")).toMatch(/may not/i);
    g.discord.failNext({ status: 502, match: new RegExp(`/channels/${g.general}/messages$`) });
    const byBob = g.discord.runCommand({ user: BOB, channelId: g.general, name: 'approve', options: { id: approvalId } });
    await waitFor(() => byBob.callbacks.find((c) => c.type === 4), 10_000, "Bob's answer");
    expect(g.discord.state.messages.get(byBob.originalId!)!.content).toMatch(/approved/i);
    await expect.poll(() => contents(g!.discord.botMessages(g!.general)), { timeout: 15_000 }).toContain('wipe done');
    expect(g.discord.botMessages(g.general).filter((m) => m.content === 'wipe done')).toHaveLength(1);
    const posts = g.discord.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${g!.general}/messages`);
    expect(posts.some((r) => r.status === 502)).toBe(true);
    await expect.poll(() => prompt.components.length, { timeout: 15_000 }).toBe(0);
  }, 40_000);
  it('reads the history again later when Discord failed the first catch-up read', async () => {
    g = await startDiscordGateway();
    const dm = g.discord.dmChannel(ALICE);
    g.discord.sendMessage({ user: ALICE, channelId: dm, content: 'first' });
    await expect.poll(() => contents(g!.discord.botMessages(dm)), { timeout: 15_000 }).toEqual(['first']);
    g.discord.failNext({ status: 503, match: new RegExp(`/channels/${dm}/messages$`) });
    g.discord.gateway.refuseNextResume();
    g.discord.gateway.drop();
    g.discord.sendMessage({ user: ALICE, channelId: dm, content: 'missed while the history failed' });
    await expect.poll(() => contents(g!.discord.botMessages(dm)), { timeout: 30_000 }).toEqual(['first', 'missed while the history failed']);
    const reads = g.discord.requests.filter((r) => r.method === 'GET' && r.path === `/channels/${dm}/messages`);
    expect(reads.map((r) => r.status).slice(0, 2)).toEqual([503, 200]);
  }, 60_000);
  it('does not run a slash command or a button press twice when a resume replays them', async () => {
    g = await startDiscordGateway();
    g.t.fake.enqueue(turns.toolCall('calc_wipe', { target: 'tmp' }), turns.text('wipe done'));
    const ask = g.discord.runCommand({ user: ALICE, channelId: g.general, name: 'ask', options: { text: 'wipe tmp' } });
    const prompt = await waitFor(() => g!.discord.botMessages(g!.general).find((m) => m.components.length > 0), 15_000, 'the prompt');
    const approve = (prompt.components[0] as { components: Array<{ custom_id: string }> }).components[0]!.custom_id;
    const press = g.discord.pressButton({ user: BOB, messageId: prompt.id, customId: approve });
    await expect.poll(() => g!.discord.state.messages.get(ask.originalId!)?.content, { timeout: 15_000 }).toBe('wipe done');
    await expect.poll(() => prompt.components.length, { timeout: 15_000 }).toBe(0);
    const asked = g.t.fake.chatRequests.length;
    const before = g.discord.state.messages.size;
    // Both interactions come again (an at-least-once replay after a reconnect).
    g.discord.gateway.replayOverlapOnce(50);
    g.discord.gateway.reconnect();
    await waitFor(() => (g!.discord.gateway.stats.resumes >= 1 && g!.discord.gateway.connected() ? true : undefined), 20_000, 'the resume');
    g.discord.sendMessage({ user: ALICE, channelId: g.general, content: 'after the replay', mentionBot: true });
    await expect.poll(() => contents(g!.discord.botMessages(g!.general)).at(-1), { timeout: 15_000 }).toBe('after the replay');
    expect(g.discord.gateway.stats.replayedTypes.filter((t) => t === 'INTERACTION_CREATE')).toHaveLength(2);
    expect(g.t.fake.chatRequests.length - asked).toBe(1);
    expect(g.discord.state.messages.size - before).toBe(2);
    expect(ask.callbacks).toHaveLength(1);
    expect(press.callbacks).toHaveLength(1);
    const approvals = (await g.t.api('GET', '/api/approvals')).body as { approvals: Array<{ status: string }> };
    expect(approvals.approvals.filter((a) => a.status === 'approved')).toHaveLength(1);
  }, 60_000);
  it('with threads: true answers a mention in its own thread, and everything said in that thread', async () => {
    g = await startDiscordGateway({ section: { threads: true } });
    const mention = g.discord.sendMessage({ user: ALICE, channelId: g.general, content: 'plan the trip', mentionBot: true });
    await expect.poll(() => contents(g!.discord.botMessages(mention.id)), { timeout: 15_000 }).toEqual(['plan the trip']);
    const thread = g.discord.state.channels.get(mention.id)!;
    expect(thread).toMatchObject({ type: 11, parentId: g.general, ownerId: g.discord.botId, name: 'plan the trip' });
    expect(g.discord.botMessages(g.general)).toEqual([]);
    // In the bot's thread no mention is needed, and it is one conversation (the model sees both).
    g.discord.sendMessage({ user: ALICE, channelId: mention.id, content: 'and the hotel' });
    await expect.poll(() => contents(g!.discord.botMessages(mention.id)), { timeout: 15_000 }).toEqual(['plan the trip', 'and the hotel']);
    const last = g.t.fake.chatRequests.at(-1)!.messages.filter((m) => m.role === 'user').map((m) => m.content);
    expect(last).toEqual(['plan the trip', 'and the hotel']);
    // A stranger's mention starts no thread.
    const stranger = g.discord.sendMessage({ user: MALLORY, channelId: g.general, content: 'me too', mentionBot: true });
    g.discord.redeliver(mention);
    g.discord.sendMessage({ user: ALICE, channelId: mention.id, content: 'done' });
    await expect.poll(() => contents(g!.discord.botMessages(mention.id)).at(-1), { timeout: 15_000 }).toBe('done');
    expect(g.discord.state.channels.has(stranger.id)).toBe(false);
    expect(g.discord.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/threads')).map((r) => r.status)).toEqual([201]);
  }, 40_000);
});
