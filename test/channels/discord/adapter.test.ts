// The Discord adapter on its own against the stand-in, with a scripted channel host: when the
// host is slow to decide or answer (over Discord's 3 s, which the stand-in enforces by its own
// clock), the press and the command are still acknowledged in time (deferred), and the answer
// follows (an ephemeral follow-up for a refused press, an edit of the deferred reply). One outbox
// entry sent twice (a crash between sending and recording it) is one message.
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter, ChannelContext, DecisionOutcome } from '../../../channels/channel.js';
import { createDiscordAdapter } from '../../../channels/discord/adapter.js';
import { discordConfigSchema } from '../../../channels/discord/config.js';
import { startFakeDiscord, waitFor, type FakeDiscord } from '../../fakes/discord.js';
import { stubHost } from '../stub-host.js';

const USER = '500000000000000001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A host that takes `delayMs` to decide a press or to answer /status. */
function slowHost(delayMs: number): ChannelContext & { lines: string[] } {
  return stubHost('discord', {
    decide: async (input): Promise<DecisionOutcome> => {
      await sleep(delayMs);
      return { status: 'refused', approvalId: input.approvalId, reason: 'not_an_approver', message: `You may not decide ${input.approvalId}.` };
    },
    statusText: async () => {
      await sleep(delayMs);
      return 'status after a while';
    },
  });
}

describe('Discord adapter with a slow host', () => {
  let discord: FakeDiscord | undefined;
  let adapter: ChannelAdapter | undefined;
  afterEach(async () => {
    await adapter?.stop();
    await discord?.close();
  });

  it('defers a press and a command it cannot answer within the budget, then answers', async () => {
    discord = await startFakeDiscord();
    const { channelId } = discord.addGuild('slow');
    const host = slowHost(3_500);
    // A small budget keeps the test far from Discord's 3 s on a busy machine; the host takes 3.5 s.
    adapter = createDiscordAdapter({ config: discordConfigSchema.parse({ token: '${env:T}', api_url: discord.apiUrl }), token: discord.token, logger: host.logger, ackBudgetMs: 500 });
    await adapter.start(host);
    const prompt = discord.state.createMessage({ channelId, authorId: discord.botId, content: 'Approval needed', components: [{ type: 1, components: [{ type: 2, style: 3, label: 'Approve', custom_id: 'ss:a:ap_slow' }] }] });

    const press = discord.pressButton({ user: USER, messageId: prompt.id, customId: 'ss:a:ap_slow' });
    const status = discord.runCommand({ user: USER, channelId, name: 'status' });
    expect(await waitFor(() => press.ephemeral[0], 15_000, 'the follow-up')).toBe('You may not decide ap_slow.');
    expect(press.callbacks.map((c) => c.type)).toEqual([6]);
    await expect.poll(() => discord!.state.messages.get(status.originalId ?? '')?.content, { timeout: 15_000 }).toBe('status after a while');
    expect(status.callbacks.map((c) => [c.type, c.data?.flags])).toEqual([[5, 64]]);
    expect(host.lines.filter((l) => l.includes('answering an interaction failed'))).toEqual([]);
  }, 30_000);
});

// The outbox sends an entry again when the gateway died between the platform's answer and the
// row being marked delivered. The entry's nonce (enforce_nonce) makes Discord hand back the first
// message: the user sees one reply, not two. This happened under load in discord-kill.test.ts.
describe('Discord adapter sending one outbox entry twice', () => {
  let discord: FakeDiscord | undefined;
  const adapters: ChannelAdapter[] = [];
  afterEach(async () => {
    for (const a of adapters.splice(0)) await a.stop();
    await discord?.close();
  });

  async function startAdapter(fake: FakeDiscord): Promise<ChannelAdapter> {
    const host = stubHost('discord');
    const adapter = createDiscordAdapter({ config: discordConfigSchema.parse({ token: '${env:T}', api_url: fake.apiUrl }), token: fake.token, logger: host.logger });
    adapters.push(adapter);
    await adapter.start(host);
    return adapter;
  }

  it('a retry after a restart gets the first message back; another entry with the same text is a new message', async () => {
    discord = await startFakeDiscord();
    const { channelId } = discord.addGuild('once');
    const entry = { deliveryId: '41', address: { conversationId: channelId }, text: 'the reply' };
    const first = await (await startAdapter(discord)).deliver(entry);
    // A new process: the same outbox entry (same id, text and channel) goes out again.
    const again = await (await startAdapter(discord)).deliver(entry);
    expect(again.platformMessageId).toBe(first.platformMessageId);
    expect(discord.botMessages(channelId).map((m) => m.content)).toEqual(['the reply']);

    const next = await adapters[1]!.deliver({ ...entry, deliveryId: '42' });
    expect(next.platformMessageId).not.toBe(first.platformMessageId);
    expect(discord.botMessages(channelId).map((m) => m.content)).toEqual(['the reply', 'the reply']);
    // The same entry number in another channel (a fresh database reuses numbers) is not deduplicated.
    const other = discord.addGuild('other').channelId;
    await adapters[1]!.deliver({ ...entry, address: { conversationId: other } });
    expect(discord.botMessages(other).map((m) => m.content)).toEqual(['the reply']);
  }, 30_000);
});

