// The Slack channel runs the shared channel contract in both connection modes, against the
// Slack stand-in over real sockets with a real `securesphere start` child process: each contract
// conversation is a DM channel; users send `message` events, press Block Kit buttons, and read
// what the bot posted (edits applied, mrkdwn unescaped as Slack shows it) and what it told them
// ephemerally. "Platform down" is Slack's Web API answering 503.
import { expect, it } from 'vitest';
import { describeChannelContract, roundTrip, type ChannelDriver, type ShownMessage } from '../contract/channel-contract.js';
import { startFakeSlack, waitFor, type BotMessage, type Delivered, type FakeSlack } from '../../fakes/slack.js';

const REQUESTER = 'U0CONTRACTA';
const STRANGER = 'U0CONTRACTB';

function unescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function approvalIdOf(message: BotMessage): string | undefined {
  for (const block of (message.posted.blocks ?? []) as Array<{ type?: string; elements?: Array<{ value?: string }> }>) {
    if (block.type === 'actions') return block.elements?.[0]?.value;
  }
  return undefined;
}

function shownOf(message: BotMessage): ShownMessage {
  const approvalId = approvalIdOf(message);
  const outcome = approvalId ? /^Approval needed \((approved|denied|expired)/.exec(message.text)?.[1] : undefined;
  return { id: message.ts, text: unescape(message.text), ...(approvalId ? { approvalId } : {}), ...(outcome ? { outcome } : {}) };
}

function createSlackDriver(slack: FakeSlack, mode: 'socket' | 'http'): ChannelDriver {
  const channels = new Map<string, string>();
  const sent = new Map<string, Delivered>();
  let gateway = { url: '', token: '' };

  function channelFor(conversation: string): string {
    let id = channels.get(conversation);
    if (!id) {
      id = `D0C${String(channels.size + 1).padStart(6, '0')}`;
      slack.addChannel({ id, name: conversation, isIm: true });
      channels.set(conversation, id);
    }
    return id;
  }

  async function running(): Promise<boolean> {
    const res = await fetch(`${gateway.url}/api/health`, { headers: { authorization: `Bearer ${gateway.token}` } });
    const body = (await res.json()) as { channels?: Array<{ name: string; state: string }> };
    return body.channels?.some((c) => c.name === 'slack' && c.state === 'running') ?? false;
  }

  return {
    users: [REQUESTER, STRANGER],
    maxTextLength: 3_500,
    malformedLog: /slack event without channel, user or ts/,
    async attach(next) {
      gateway = next;
      if (mode === 'http') slack.useHttp(`${next.url}/slack/events`);
      const deadline = Date.now() + 30_000;
      while (!(await running())) {
        if (Date.now() > deadline) throw new Error('the slack channel did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async send({ user, conversation, text, messageId }) {
      const previous = messageId ? sent.get(messageId) : undefined;
      const delivered = previous ? await slack.redeliver(previous) : await slack.sendMessage({ user, channel: channelFor(conversation), text });
      if (delivered.status !== 200) throw new Error(`slack event answered ${delivered.status}`);
      if (messageId && !previous) sent.set(messageId, delivered);
    },
    async press({ user, conversation, approvalId, decision }) {
      const channel = channelFor(conversation);
      const prompt = slack.postedIn(channel).find((m) => approvalIdOf(m) === approvalId);
      if (!prompt) throw new Error(`no prompt ${approvalId} in ${conversation}`);
      const ephemeralsBefore = slack.ephemerals.filter((e) => e.user === user).length;
      const updatesBefore = prompt.updates.length;
      // After a decision the buttons are gone; a second press is what a client still showing them sends.
      await slack.click({ user, message: prompt, actionId: `ss_${decision}`, value: approvalId });
      return waitFor(
        () => {
          const mine = slack.ephemerals.filter((e) => e.user === user);
          if (mine.length > ephemeralsBefore) return unescape(mine.at(-1)!.text);
          return prompt.updates.length > updatesBefore ? unescape(prompt.text) : undefined;
        },
        20_000,
        'the answer to the press',
      );
    },
    shown: (conversation) => slack.postedIn(channelFor(conversation)).map(shownOf),
    async malformed() {
      const { payload } = slack.build.message({ user: REQUESTER, channel: channelFor('malformed'), text: 'no sender' });
      delete (payload.event as Record<string, unknown>).user;
      await slack.deliverRaw('events_api', payload);
    },
    platform: { down: () => slack.down(), up: () => slack.up() },
    async close() {
      await slack.close();
    },
  };
}

for (const mode of ['socket', 'http'] as const) {
  let slack: FakeSlack;
  describeChannelContract(`slack (${mode} mode)`, async () => {
    slack = await startFakeSlack();
    slack.addUser({ id: REQUESTER, name: 'requester' });
    slack.addUser({ id: STRANGER, name: 'stranger' });
    return {
      name: 'slack',
      section: (allow) => ({
        mode,
        bot_token: '${env:SLACK_BOT_TOKEN}',
        app_token: '${env:SLACK_APP_TOKEN}',
        signing_secret: '${env:SLACK_SIGNING_SECRET}',
        api_url: slack.apiUrl,
        access: 'allowlist',
        allow: [...allow],
      }),
      accessControl: true,
      env: { SLACK_BOT_TOKEN: slack.bot.token, SLACK_APP_TOKEN: slack.bot.appToken, SLACK_SIGNING_SECRET: slack.signingSecret },
      driver: createSlackDriver(slack, mode),
    };
  }, (run) => {
    it('driver self-check: what it reads is the one chat.postMessage the Web API stand-in answered; the outbox is empty', async () => {
      const text = `slack ${mode} driver self-check`;
      expect((await roundTrip(run(), text)).shown.map((m) => m.text)).toEqual([text]);
      expect(slack.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 200 && c.params.text === text)).toHaveLength(1);
      expect(await run().channelHealth()).toMatchObject({ state: 'running', connected: true, outboxBacklog: 0 });
    });
  });
}
