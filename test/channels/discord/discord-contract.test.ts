// The Discord channel runs the shared channel contract against the Discord stand-in over real
// sockets, with discord.js inside a real `securesphere start` child process: each contract
// conversation is a guild text channel where users mention the bot; presses are button
// interactions; what the bot shows is read from the stand-in (edits applied), and the answer to a
// press is the ephemeral reply or, for a decision, the prompt's update. "Platform down" is
// Discord's REST API answering 503 (the gateway socket stays up).
import { expect, it } from 'vitest';
import { describeChannelContract, roundTrip, type ChannelDriver, type ShownMessage } from '../contract/channel-contract.js';
import { startFakeDiscord, waitFor, type FakeDiscord, type FakeMessage } from '../../fakes/discord.js';

const REQUESTER = '100000000000000001';
const STRANGER = '100000000000000002';

/** The approval id a prompt shows in its first line (pending or decided). */
function approvalIdOf(message: FakeMessage): string | undefined {
  return /^\*\*Approval needed\*\* `([^`]+)`/.exec(message.content)?.[1];
}

function shownOf(message: FakeMessage): ShownMessage {
  const approvalId = approvalIdOf(message);
  const outcome = approvalId ? /\n\*\*(Approved|Denied|Expired) /.exec(message.content)?.[1]?.toLowerCase() : undefined;
  return { id: message.id, text: message.content, ...(approvalId ? { approvalId } : {}), ...(outcome ? { outcome } : {}) };
}

function createDiscordDriver(discord: FakeDiscord, guildId: string): ChannelDriver {
  const channels = new Map<string, string>();
  const sent = new Map<string, FakeMessage>();
  let gateway = { url: '', token: '' };

  function channelFor(conversation: string): string {
    let id = channels.get(conversation);
    if (!id) {
      id = discord.addChannel(guildId, conversation);
      channels.set(conversation, id);
    }
    return id;
  }

  async function running(): Promise<boolean> {
    const res = await fetch(`${gateway.url}/api/health`, { headers: { authorization: `Bearer ${gateway.token}` } });
    const body = (await res.json()) as { channels?: Array<{ name: string; state: string; connected: boolean }> };
    return body.channels?.some((c) => c.name === 'discord' && c.state === 'running' && c.connected) ?? false;
  }

  const shown = (conversation: string): ShownMessage[] => discord.botMessages(channelFor(conversation)).map(shownOf);

  return {
    users: [REQUESTER, STRANGER],
    maxTextLength: 2000,
    malformedLog: /discord: MESSAGE_CREATE without an author/,
    async attach(next) {
      gateway = next;
      const deadline = Date.now() + 30_000;
      while (!(await running())) {
        if (Date.now() > deadline) throw new Error('the discord channel did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async send({ user, conversation, text, messageId }) {
      const previous = messageId ? sent.get(messageId) : undefined;
      if (previous) {
        discord.redeliver(previous);
        return;
      }
      const message = discord.sendMessage({ user, channelId: channelFor(conversation), content: text, mentionBot: true });
      if (messageId) sent.set(messageId, message);
    },
    async press({ user, conversation, approvalId, decision }) {
      const prompt = discord.botMessages(channelFor(conversation)).find((m) => approvalIdOf(m) === approvalId);
      if (!prompt) throw new Error(`no prompt ${approvalId} in ${conversation}`);
      const editsBefore = prompt.history.length;
      const code = { approve: 'a', deny: 'd', allow_conversation: 'c' }[decision];
      // After a decision the buttons are gone; a second press is what a client still showing them sends.
      const press = discord.pressButton({ user, messageId: prompt.id, customId: `ss:${code}:${approvalId}` });
      return waitFor(
        () => {
          if (press.ephemeral.length > 0) return press.ephemeral[0];
          return press.callbacks.some((c) => c.type === 6) && prompt.history.length > editsBefore ? prompt.content : undefined;
        },
        20_000,
        'the answer to the press',
      );
    },
    shown,
    async malformed() {
      discord.dispatchRaw('MESSAGE_CREATE', { id: discord.state.nextId(), channel_id: channelFor('malformed'), guild_id: guildId, content: 'no author' });
    },
    platform: { down: () => discord.down(), up: () => discord.up() },
    async close() {
      await discord.close();
    },
  };
}

let discord: FakeDiscord;

describeChannelContract('discord', async () => {
  discord = await startFakeDiscord();
  const { guildId } = discord.addGuild('contract');
  return {
    name: 'discord',
    section: (allow) => ({ token: '${env:DISCORD_BOT_TOKEN}', api_url: discord.apiUrl, guild_ids: [guildId], access: 'allowlist', allow: [...allow] }),
    accessControl: true,
    env: { DISCORD_BOT_TOKEN: discord.token },
    driver: createDiscordDriver(discord, guildId),
  };
}, (run) => {
  it('driver self-check: what it reads is the one message the bot created through the REST stand-in; the outbox is empty', async () => {
    const text = 'discord driver self-check';
    const creates = () => discord.requests.filter((r) => r.method === 'POST' && /^\/channels\/\d+\/messages$/.test(r.path) && r.status === 200).length;
    const before = creates();
    expect((await roundTrip(run(), text)).shown.map((m) => m.text)).toEqual([text]);
    expect(creates() - before).toBe(1);
    expect(await run().channelHealth()).toMatchObject({ state: 'running', connected: true, outboxBacklog: 0 });
  });
});
