// The Matrix channel runs the shared channel contract against a real Synapse: the gateway is a
// real `securesphere start` child logged in as the bot; the users are matrix-js-sdk clients in
// this process. One room per contract conversation, created by the requester, who invites the
// bot (allowed, so it joins) and the stranger; messages mention the bot (rooms of three are
// group chats). A press is a ✅ / ❌ reaction on the prompt; its answer is the prompt's edit with
// the outcome, or the bot's notice answering that reaction. A redelivery is the same
// transaction id sent again (Synapse answers with the same event). "Platform down" is a proxy
// between the gateway and Synapse answering 502 to the bot's sends (its /sync still works), so
// replies wait in the outbox as during a real outage.
import { expect, it } from 'vitest';
import { describeChannelContract, roundTrip, type ChannelDriver, type ShownMessage } from '../contract/channel-contract.js';
import { startMatrixOutageProxy, type MatrixOutageProxy } from '../../fakes/matrix-outage-proxy.js';
import { describeSynapse, startSynapse, type Synapse } from '../../helpers/synapse.js';
import { botMessages, startTestUser, type TestUser } from './matrix-users.js';

const OUTCOME = /^(Approved|Denied|Expired)\b/m;
const APPROVAL_KEY = 'org.securesphere.approval_id';
const ANSWER_KEY = 'org.securesphere.answer_to';

async function until<T>(check: () => T | undefined | false, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function createMatrixDriver(synapse: Synapse, proxy: MatrixOutageProxy, botId: string, users: Map<string, TestUser>, accessTokens: Map<string, string>): ChannelDriver {
  const rooms = new Map<string, string>();
  const reactions = new Map<string, string>();
  const [requesterId, strangerId] = [...users.keys()] as [string, string];
  const requester = users.get(requesterId)!;
  let gatewayUrl = '';
  let token = '';

  async function roomFor(conversation: string): Promise<string> {
    const known = rooms.get(conversation);
    if (known) return known;
    const roomId = await requester.createRoom({ invite: [botId, strangerId], name: conversation });
    rooms.set(conversation, roomId);
    await users.get(strangerId)!.join(roomId);
    await until(() => requester.membership(roomId, botId) === 'join', `the bot to join ${conversation}`);
    return roomId;
  }

  const shown = (conversation: string): ShownMessage[] => {
    const roomId = rooms.get(conversation);
    if (!roomId) return [];
    return botMessages(requester, roomId, botId)
      .filter((m) => m.content[ANSWER_KEY] === undefined)
      .map((m) => {
        const text = String(m.content.body ?? '');
        const approvalId = typeof m.content[APPROVAL_KEY] === 'string' ? (m.content[APPROVAL_KEY] as string) : undefined;
        const outcome = approvalId ? OUTCOME.exec(text)?.[1]?.toLowerCase() : undefined;
        return { id: m.id, text, ...(approvalId ? { approvalId } : {}), ...(outcome ? { outcome } : {}) };
      });
  };

  return {
    users: [requesterId, strangerId],
    maxTextLength: 16_000,
    malformedLog: /matrix reaction without an annotation/,
    async attach(gateway) {
      gatewayUrl = gateway.url;
      token = gateway.token;
      for (let i = 0; i < 600; i++) {
        const res = await fetch(new URL('/api/health', gatewayUrl), { headers: { authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { channels?: Array<{ name: string; state: string; connected: boolean }> };
        if (body.channels?.some((c) => c.name === 'matrix' && c.state === 'running' && c.connected)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the matrix channel did not start');
    },
    async send({ user, conversation, text, messageId }) {
      const roomId = await roomFor(conversation);
      const content = { msgtype: 'm.text', body: text, 'm.mentions': { user_ids: [botId] } };
      if (!messageId) {
        await users.get(user)!.send(roomId, content);
        return;
      }
      // A redelivery on Matrix is the same transaction sent again: straight to the client API,
      // as a client retrying after a lost answer does (the SDK refuses a known txnId itself).
      const res = await fetch(`${synapse.url}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${encodeURIComponent(messageId)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${accessTokens.get(user)}`, 'content-type': 'application/json' },
        body: JSON.stringify(content),
      });
      if (!res.ok) throw new Error(`sending ${messageId} failed: ${res.status}`);
    },
    async press({ user, conversation, approvalId, decision }) {
      const roomId = await roomFor(conversation);
      const prompt = shown(conversation).find((m) => m.approvalId === approvalId);
      if (!prompt) throw new Error(`no prompt for ${approvalId} in ${conversation}`);
      const before = prompt.outcome;
      const key = decision === 'deny' ? '❌' : '✅';
      // Synapse refuses the same reaction twice: pressing again means taking it back first.
      const earlier = reactions.get(`${user}/${prompt.id}/${key}`);
      if (earlier) await users.get(user)!.client.redactEvent(roomId, earlier);
      const reaction = await users.get(user)!.react(roomId, prompt.id, key);
      reactions.set(`${user}/${prompt.id}/${key}`, reaction);
      return until(() => {
        const answer = requester.events(roomId).find((e) => e.sender === botId && e.content[ANSWER_KEY] === reaction);
        if (answer) return String(answer.content.body);
        const now = shown(conversation).find((m) => m.approvalId === approvalId);
        return now?.outcome && now.outcome !== before ? now.text : undefined;
      }, 'the reaction to be answered');
    },
    shown,
    async malformed() {
      const roomId = await roomFor(`malformed-${process.pid}`);
      // Synapse refuses a message without a body, but takes a reaction that annotates nothing.
      type Send = (roomId: string, type: string, content: Record<string, unknown>) => Promise<unknown>;
      await (requester.client.sendEvent as unknown as Send).call(requester.client, roomId, 'm.reaction', { key: 'x' });
    },
    platform: { down: () => proxy.down(), up: () => proxy.up() },
    async close() {
      for (const u of users.values()) await u.stop();
      await proxy.close();
      await synapse.stop();
    },
  };
}

describeSynapse('matrix on a real Synapse', () => {
  let synapse: Synapse;
  let requesterToken = '';

  /** The body of this event as Synapse itself serves it to the requester (found in the rooms they joined). */
  async function botTextOnServer(eventId: string): Promise<string | undefined> {
    const auth = { authorization: `Bearer ${requesterToken}` };
    const joined = (await (await fetch(`${synapse.url}/_matrix/client/v3/joined_rooms`, { headers: auth })).json()) as { joined_rooms: string[] };
    for (const roomId of joined.joined_rooms) {
      const res = await fetch(`${synapse.url}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`, { headers: auth });
      if (res.ok) return ((await res.json()) as { content?: { body?: string } }).content?.body;
    }
    return undefined;
  }

  describeChannelContract('matrix', async () => {
    synapse = await startSynapse();
    try {
      const proxy = await startMatrixOutageProxy(synapse.url);
      const bot = await synapse.register('bot');
      const users = new Map<string, TestUser>();
      const tokens = new Map<string, string>();
      for (const name of ['alice', 'stranger']) {
        const account = await synapse.register(name);
        users.set(account.userId, await startTestUser(synapse, account));
        tokens.set(account.userId, account.accessToken);
        if (name === 'alice') requesterToken = account.accessToken;
      }
      return {
        name: 'matrix',
        section: (allow) => ({ homeserver_url: proxy.url, user_id: bot.userId, access_token: '${env:MATRIX_ACCESS_TOKEN}', access: 'allowlist', allow: [...allow], encryption: false }),
        accessControl: true,
        env: { MATRIX_ACCESS_TOKEN: bot.accessToken },
        driver: createMatrixDriver(synapse, proxy, bot.userId, users, tokens),
      };
    } catch (err) {
      await synapse.stop();
      throw err;
    }
  }, (run) => {
    it("driver self-check: what it reads is the bot's one m.room.message, as Synapse's own /messages holds it; the outbox is empty", async () => {
      const text = 'matrix driver self-check';
      const { shown } = await roundTrip(run(), text);
      expect(shown.map((m) => m.text)).toEqual([text]);
      expect(await botTextOnServer(shown[0]!.id)).toBe(text);
      expect(await run().channelHealth()).toMatchObject({ state: 'running', connected: true, outboxBacklog: 0 });
    });
  });
});
