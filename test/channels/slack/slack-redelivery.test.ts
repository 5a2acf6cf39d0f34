// One outbox entry handed to the Slack adapter again when it may already have been posted (the
// gateway died between Slack's answer and the outbox recording it, or a call timed out): the
// adapter finds its earlier message by the metadata every reply carries and posts nothing, in a
// channel and in a thread; a delivery not in doubt never reads history; a failed look posts the
// reply rather than lose it. The real adapter (Bolt's Web API client) against the stand-in.
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter, OutboundDelivery } from '../../../channels/channel.js';
import { createSlackAdapter } from '../../../channels/slack/adapter.js';
import { slackConfigSchema } from '../../../channels/slack/config.js';
import type { FakeSlack } from '../../fakes/slack.js';
import { stubHost } from '../stub-host.js';
import { ALICE_DM, GENERAL, startFakeWorkspace } from './slack-gateway.js';

describe('Slack adapter handed an entry that may already be posted', () => {
  let slack: FakeSlack | undefined;
  let adapter: ChannelAdapter | undefined;
  let lines: string[] = [];
  afterEach(async () => {
    await adapter?.stop();
    await slack?.close();
  });

  async function start(): Promise<{ slack: FakeSlack; adapter: ChannelAdapter }> {
    slack = await startFakeWorkspace();
    slack.useSocket();
    const host = stubHost('slack');
    lines = host.lines;
    adapter = createSlackAdapter({
      config: slackConfigSchema.parse({ bot_token: '${env:B}', app_token: '${env:A}', api_url: slack.apiUrl }),
      botToken: slack.bot.token,
      appToken: slack.bot.appToken,
      logger: host.logger,
    });
    await adapter.start(host);
    return { slack, adapter };
  }

  const historyReads = (s: FakeSlack) => s.calls.filter((c) => c.method === 'conversations.history' || c.method === 'conversations.replies').length;

  it('finds its earlier message in a channel and in a thread and posts nothing; a delivery not in doubt reads no history', async () => {
    const { slack, adapter } = await start();
    const queuedAt = Date.now();
    const entry: OutboundDelivery = { deliveryId: '7', address: { conversationId: ALICE_DM }, text: 'the reply', queuedAt };
    const first = await adapter.deliver(entry);
    expect(historyReads(slack)).toBe(0);
    const again = await adapter.deliver({ ...entry, uncertain: true });
    expect(again.platformMessageId).toBe(first.platformMessageId);
    expect(slack.messages.filter((m) => m.channel === ALICE_DM).map((m) => m.text)).toEqual(['the reply']);
    expect(historyReads(slack)).toBe(1);

    const parent = (await adapter.deliver({ deliveryId: '8', address: { conversationId: GENERAL }, text: 'thread start', queuedAt })).platformMessageId;
    const inThread: OutboundDelivery = { deliveryId: '9', address: { conversationId: GENERAL, threadId: parent }, text: 'in the thread', queuedAt };
    const threaded = await adapter.deliver(inThread);
    expect((await adapter.deliver({ ...inThread, uncertain: true })).platformMessageId).toBe(threaded.platformMessageId);
    expect(slack.calls.filter((c) => c.method === 'conversations.replies')).toHaveLength(1);
    expect(slack.messages.filter((m) => m.threadTs === parent).map((m) => m.text)).toEqual(['in the thread']);

    // Not in doubt: posted again without a look (Slack has no idempotency key of its own).
    await adapter.deliver(entry);
    expect(slack.messages.filter((m) => m.channel === ALICE_DM)).toHaveLength(2);
    expect(historyReads(slack)).toBe(2);
  }, 30_000);

  it('posts an entry in doubt that is not there yet once; a failed look posts it rather than lose it', async () => {
    const { slack, adapter } = await start();
    const entry: OutboundDelivery = { deliveryId: '11', address: { conversationId: ALICE_DM }, text: 'never posted', uncertain: true, queuedAt: Date.now() };
    await adapter.deliver(entry);
    expect(slack.messages.map((m) => m.text)).toEqual(['never posted']);
    // Another entry with the same text is another message, not the one found.
    await adapter.deliver({ ...entry, deliveryId: '12' });
    expect(slack.messages.map((m) => m.text)).toEqual(['never posted', 'never posted']);

    slack.failNext({ status: 500 }, 'conversations.history');
    await adapter.deliver({ ...entry, deliveryId: '13', text: 'looked for in vain' });
    expect(slack.messages.map((m) => m.text)).toEqual(['never posted', 'never posted', 'looked for in vain']);
    expect(lines.some((l) => l.startsWith('warn slack: could not look for an earlier copy'))).toBe(true);
  }, 30_000);
});
