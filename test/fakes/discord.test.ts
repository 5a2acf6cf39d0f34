// The Discord stand-in tested with discord.js itself over real sockets: discovery, READY and
// GUILD_CREATE, heartbeats (and a zombie connection resumed), DM and guild messages, a resume
// that replays exactly what was missed (and an overlap when asked), INVALID_SESSION and
// RECONNECT, interaction callbacks and webhook edits, history with `after`, bulk registration,
// nonces with `enforce_nonce`, and 429 / 5xx answers as discord.js reads them.
import { Client, GatewayIntentBits, Partials, RateLimitError, HTTPError, Routes, type Message, type Interaction } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, waitFor, type FakeDiscord } from './discord.js';

/** client.destroy() can wait on a socket in the middle of a reconnect; never let that hang a test. */
async function destroyClient(client: Client): Promise<void> {
  await Promise.race([client.destroy(), new Promise((r) => setTimeout(r, 3_000))]);
}

describe('Discord stand-in with discord.js', () => {
  let discord: FakeDiscord;
  let client: Client;
  const seen: Message[] = [];
  const interactions: Interaction[] = [];

  beforeEach(async () => {
    seen.length = 0;
    interactions.length = 0;
    discord = await startFakeDiscord();
    discord.addGuild('home');
    client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent, GatewayIntentBits.DirectMessages],
      partials: [Partials.Channel],
      rest: { api: discord.apiUrl, retries: 0, rejectOnRateLimit: () => true },
    });
    client.on('messageCreate', (m) => void seen.push(m));
    client.on('interactionCreate', (i) => void interactions.push(i));
    const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()));
    await client.login(discord.token);
    await ready;
  });

  afterEach(async () => {
    await destroyClient(client);
    await discord.close();
  });

  const guildChannel = () => [...discord.state.channels.values()].find((c) => c.type === 0)!.id;

  it('connects through GET /gateway/bot, identifies and sees its guild', () => {
    expect(client.user?.id).toBe(discord.botId);
    expect(client.guilds.cache.size).toBe(1);
    expect(client.channels.cache.get(guildChannel())?.isTextBased()).toBe(true);
    expect(discord.gateway.stats.identifies).toBe(1);
  });

  it('delivers DM and guild messages with mentions, and the bot can answer both', async () => {
    const dm = discord.dmChannel('111');
    discord.sendMessage({ user: '111', channelId: dm, content: 'hi in dm' });
    discord.sendMessage({ user: '222', channelId: guildChannel(), content: 'hi bot', mentionBot: true });
    await waitFor(() => (seen.length >= 2 ? true : undefined), 5000, 'two messages');
    const [first, second] = seen;
    expect(first!.channel.isDMBased()).toBe(true);
    expect(first!.content).toBe('hi in dm');
    expect(second!.mentions.users.has(discord.botId)).toBe(true);
    await first!.reply('dm answer');
    const sent = await (client.channels.cache.get(guildChannel()) as { send(t: string): Promise<Message> }).send('guild answer');
    await sent.edit('guild answer, edited');
    expect(discord.botMessages(dm).map((m) => m.content)).toEqual(['dm answer']);
    expect(discord.botMessages(guildChannel())[0]!.history).toEqual(['guild answer', 'guild answer, edited']);
  });

  it('replays what was missed after a hard drop, exactly once, then an overlap when asked', async () => {
    const dm = discord.dmChannel('333');
    discord.sendMessage({ user: '333', channelId: dm, content: 'before' });
    await waitFor(() => (seen.length === 1 ? true : undefined), 5000, 'first message');
    discord.gateway.drop();
    discord.sendMessage({ user: '333', channelId: dm, content: 'during the gap' });
    await waitFor(() => (seen.some((m) => m.content === 'during the gap') ? true : undefined), 15_000, 'the replayed message');
    expect(discord.gateway.stats.resumes).toBe(1);
    expect(discord.gateway.stats.identifies).toBe(1);
    expect(seen.map((m) => m.content)).toEqual(['before', 'during the gap']);

    // An overlapping replay re-sends an event the client had; discord.js's own message cache
    // swallows this one (the adapter de-duplicates through the channel host anyway).
    const replayedBefore = discord.gateway.stats.replayed;
    discord.gateway.replayOverlapOnce(1);
    discord.gateway.reconnect();
    await waitFor(() => (discord.gateway.stats.resumes === 2 && discord.gateway.connected() ? true : undefined), 15_000, 'second resume');
    expect(discord.gateway.stats.replayed - replayedBefore).toBeGreaterThanOrEqual(1);
  });

  it('returns the earlier message for a nonce sent again with enforce_nonce, within a few minutes only', async () => {
    const channel = guildChannel();
    const post = (body: Record<string, unknown>) => client.rest.post(Routes.channelMessages(channel), { body }) as Promise<{ id: string; nonce?: string }>;
    const first = await post({ content: 'once', nonce: 'n-1', enforce_nonce: true });
    expect(first.nonce).toBe('n-1');
    expect((await post({ content: 'once', nonce: 'n-1', enforce_nonce: true })).id).toBe(first.id);
    expect(discord.botMessages(channel).map((m) => m.content)).toEqual(['once']);
    // Without enforce_nonce the nonce is only echoed; a different nonce is a different message.
    expect((await post({ content: 'once', nonce: 'n-1' })).id).not.toBe(first.id);
    expect((await post({ content: 'once', nonce: 'n-2', enforce_nonce: true })).id).not.toBe(first.id);
    // Discord forgets a nonce after a few minutes.
    discord.advanceClock(4 * 60_000);
    expect((await post({ content: 'once', nonce: 'n-1', enforce_nonce: true })).id).not.toBe(first.id);
    expect(discord.botMessages(channel)).toHaveLength(4);
    await expect(post({ content: 'x', nonce: 'a'.repeat(26), enforce_nonce: true })).rejects.toThrow(/Invalid Form Body/);
  });

  it('makes the client identify again after INVALID_SESSION (d=false); what the old session buffered is gone', async () => {
    discord.gateway.invalidate(false);
    await waitFor(() => (discord.gateway.stats.identifies === 2 && discord.gateway.connected() ? true : undefined), 20_000, 'second identify');
    expect(discord.gateway.stats.resumes).toBe(0);
  });

  it('answers interaction callbacks (204 without content-type), deferred edits of @original, follow-ups and component updates', async () => {
    const channel = guildChannel();
    const command = discord.runCommand({ user: '444', channelId: channel, name: 'ask', options: { text: 'q' } });
    const asked = await waitFor(() => interactions.find((i) => i.id === command.id), 5000, 'the command');
    if (!asked.isChatInputCommand()) throw new Error('not a chat input command');
    expect(asked.options.getString('text')).toBe('q');
    expect(asked.user.id).toBe('444');
    await asked.deferReply();
    const callback = discord.requests.find((r) => r.path.includes(`/interactions/${command.id}/`))!;
    expect(callback.status).toBe(204);
    await asked.editReply({ content: 'the answer' });
    expect(discord.requests.some((r) => r.method === 'PATCH' && r.path.includes('%40original'))).toBe(true);
    await asked.followUp({ content: 'more' });
    await expect(asked.reply('again')).rejects.toThrow();
    expect(discord.botMessages(channel).map((m) => m.content)).toEqual(['the answer', 'more']);
    expect(command.callbacks.map((c) => c.type)).toEqual([5]);

    const prompt = discord.botMessages(channel)[0]!;
    const press = discord.pressButton({ user: '555', messageId: prompt.id, customId: 'opaque-1' });
    const pressed = await waitFor(() => interactions.find((i) => i.id === press.id), 5000, 'the press');
    if (!pressed.isButton()) throw new Error('not a button');
    expect(pressed.customId).toBe('opaque-1');
    await pressed.reply({ content: 'not yours', flags: 64 });
    expect(press.ephemeral).toEqual(['not yours']);
    const press2 = discord.pressButton({ user: '444', messageId: prompt.id, customId: 'opaque-1' });
    const pressed2 = await waitFor(() => interactions.find((i) => i.id === press2.id), 5000, 'the second press');
    if (!pressed2.isButton()) throw new Error('not a button');
    await pressed2.update({ content: 'decided', components: [] });
    expect(prompt.content).toBe('decided');
    expect(press2.callbacks.map((c) => c.type)).toEqual([7]);
  });

  it("refuses a callback after 3 s and a webhook edit after the token's 15 minutes", async () => {
    const late = discord.runCommand({ user: '444', channelId: guildChannel(), name: 'status' });
    const interaction = await waitFor(() => interactions.find((i) => i.id === late.id), 5000, 'the command');
    discord.advanceClock(3_500);
    await expect((interaction as { deferReply(): Promise<unknown> }).deferReply()).rejects.toThrow(/Unknown interaction/);
    discord.advanceClock(-3_500);
    const fine = discord.runCommand({ user: '444', channelId: guildChannel(), name: 'status' });
    const i2 = await waitFor(() => interactions.find((i) => i.id === fine.id), 5000, 'the command');
    if (!i2.isChatInputCommand()) throw new Error('not a command');
    await i2.deferReply();
    discord.advanceClock(15 * 60_000 + 1000);
    await expect(i2.editReply('too late')).rejects.toThrow(/Invalid Webhook Token/);
  });

  it('registers commands in bulk, fetches history after a message, types, and surfaces 429 and 5xx', async () => {
    const guildId = [...discord.state.guilds.keys()][0]!;
    await client.application!.commands.set([{ name: 'ask', description: 'Ask', options: [{ name: 'text', description: 't', type: 3, required: true }] }], guildId);
    expect(discord.state.commands.map((c) => [c.name, c.guildId])).toEqual([['ask', guildId]]);
    const channel = guildChannel();
    const a = discord.sendMessage({ user: '666', channelId: channel, content: 'one' });
    discord.sendMessage({ user: '666', channelId: channel, content: 'two' });
    discord.sendMessage({ user: '666', channelId: channel, content: 'three' });
    const after = (await client.rest.get(Routes.channelMessages(channel), { query: new URLSearchParams({ after: a.id, limit: '100' }) })) as Array<{ content: string }>;
    expect(after.map((m) => m.content)).toEqual(['three', 'two']);
    await client.rest.post(Routes.channelTyping(channel));
    expect(discord.state.typing).toHaveLength(1);

    discord.rateLimitNext({ retryAfterS: 2.5, match: /messages$/ });
    const limited = await client.rest.post(Routes.channelMessages(channel), { body: { content: 'x' } }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).retryAfter).toBeGreaterThanOrEqual(2500);
    const last429 = discord.requests.filter((r) => r.status === 429);
    expect(last429).toHaveLength(1);

    discord.failNext({ status: 502, match: /typing/ });
    const failed = await client.rest.post(Routes.channelTyping(channel)).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(HTTPError);
    expect((failed as HTTPError).status).toBe(502);

    discord.down();
    await expect(client.rest.get(Routes.user('@me'))).rejects.toBeInstanceOf(HTTPError);
    discord.up();
    expect(((await client.rest.get(Routes.user('@me'))) as { id: string }).id).toBe(discord.botId);
  });
});

describe('Discord stand-in: heartbeats, raw answers, DMs and global commands', () => {
  let discord: FakeDiscord;
  let client: Client;

  afterEach(async () => {
    await destroyClient(client);
    await discord.close();
  });

  it('acks heartbeats; a connection whose heartbeats go unanswered is resumed by discord.js', async () => {
    discord = await startFakeDiscord({ heartbeatIntervalMs: 300 });
    client = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.DirectMessages], partials: [Partials.Channel], rest: { api: discord.apiUrl, retries: 0 } });
    const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()));
    await client.login(discord.token);
    await ready;
    await waitFor(() => (discord.gateway.stats.heartbeats >= 2 ? true : undefined), 5_000, 'heartbeats');
    expect(client.ws.ping).toBeGreaterThanOrEqual(0);
    discord.gateway.stopAcking();
    await waitFor(() => (discord.gateway.stats.resumes === 1 && discord.gateway.connected() ? true : undefined), 10_000, 'the resume of a zombie connection');
    expect(discord.gateway.stats.identifies).toBe(1);
  });

  it('answers a callback 204 without a content-type, opens DMs and registers global commands', async () => {
    discord = await startFakeDiscord();
    client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: discord.apiUrl, retries: 0 } });
    const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()));
    await client.login(discord.token);
    await ready;
    const { channelId } = discord.addGuild('late');
    const command = discord.runCommand({ user: '777', channelId, name: 'status' });
    const res = await fetch(`${discord.apiUrl}/v10/interactions/${command.id}/${command.token}/callback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 5 }) });
    expect(res.status).toBe(204);
    expect(res.headers.get('content-type')).toBeNull();
    expect(await res.text()).toBe('');
    const dm = await client.users.createDM('888');
    expect(dm.id).toBe(discord.dmChannel('888'));
    await client.application!.commands.set([{ name: 'ask', description: 'Ask' }]);
    expect(discord.state.commands.map((c) => [c.name, c.guildId])).toEqual([['ask', undefined]]);
    const unauthorized = await fetch(`${discord.apiUrl}/v10/users/@me`, { headers: { authorization: 'Bot wrong' } });
    expect(unauthorized.status).toBe(401);
  });
});
