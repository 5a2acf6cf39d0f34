// What the Slack app does with each kind of envelope, as Bolt listeners: messages and mentions
// go to the channel host (the listener returns once the message is stored, which is when Slack
// is acknowledged); a button press is acknowledged at once, decided by the presser's own Slack
// id, and a refused presser is told so in an ephemeral message (the prompt itself is updated by
// the host through edit()); the slash command runs `ask`, `status`, `new`.
// Must never decide with anything but `body.user` (Slack's field), never read a button's value
// as more than an opaque approval id, and never wait for the model.
import type { App } from '@slack/bolt';
import { SecureSphereError } from '../../src/core/errors.js';
import type { ChannelContext, ChannelLogger, ConversationAddress, DecisionInput } from '../channel.js';
import { parseSlashText, usageText } from './commands.js';
import { describeSlackError } from './delivery-errors.js';
import { readEvent, senderIdOf, type SlackWorkspaceInfo } from './inbound.js';
import { APPROVAL_ACTION_PATTERN, escapeMrkdwn } from './render.js';

export interface EphemeralSender {
  (input: { channel: string; user: string; text: string; threadTs?: string }): Promise<void>;
}

export interface ListenerDeps {
  host: ChannelContext;
  info: SlackWorkspaceInfo;
  slashCommand: string;
  logger: ChannelLogger;
  postEphemeral: EphemeralSender;
  /** Whether the bot is in a channel (conversations.info); undefined when Slack cannot say. */
  isMember(channel: string): Promise<boolean | undefined>;
  /** Display names for user ids (shown only, never an identity). */
  nameOf(userId: string): Promise<string>;
  /** Whether the bot has posted in this thread (replies there need no new mention). */
  inBotThread(channel: string, threadTs: string): boolean;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const APPROVAL_ID = /^[A-Za-z0-9_-]{1,200}$/;

function failureText(err: unknown): string {
  return err instanceof SecureSphereError ? err.message : 'That did not work; try again in a moment.';
}

export function registerListeners(app: App, deps: ListenerDeps): void {
  const { host, info, logger } = deps;

  const onEvent = async ({ event, body }: { event: unknown; body: unknown }) => {
    const read = readEvent(obj(event) ?? {}, info, deps.inBotThread);
    if (!read.ok) {
      if (read.malformed) host.dropMalformed(read.reason, { event_id: str(obj(body)?.event_id) });
      return;
    }
    const message = read.message;
    // Only for messages that may be admitted: chatter the host will ignore costs no lookup.
    if (message.addressedToBot || message.chatType === 'direct') message.senderName = await deps.nameOf(str(obj(event)?.user) ?? message.senderId);
    const result = await host.receive(message);
    if (result.status === 'refused' && result.reason !== 'not_addressed') logger.info({ reason: result.reason }, 'slack message refused');
  };
  app.event('message', onEvent);
  app.event('app_mention', onEvent);

  app.action(APPROVAL_ACTION_PATTERN, async ({ ack, body, action }) => {
    await ack();
    const payload = obj(body) ?? {};
    const user = obj(payload.user);
    const userId = str(user?.id);
    const container = obj(payload.container);
    const channel = str(container?.channel_id) ?? str(obj(payload.channel)?.id);
    const act = obj(action);
    const approvalId = str(act?.value);
    const choice = /^ss_(approve|deny|allow_conversation)$/.exec(str(act?.action_id) ?? '')?.[1] as DecisionInput['decision'] | undefined;
    if (!userId || !channel || !approvalId || !APPROVAL_ID.test(approvalId) || !choice) {
      host.dropMalformed('slack button press without user, channel, approval id or action', { action_id: str(act?.action_id) });
      return;
    }
    const threadTs = str(container?.thread_ts) ?? str(obj(payload.message)?.thread_ts);
    const outcome = await host.decide({
      approvalId,
      decision: choice,
      userId: senderIdOf(userId, str(user?.team_id), info),
      conversationId: channel,
      ...(threadTs ? { threadId: threadTs } : {}),
    });
    if (outcome.status === 'refused') {
      await deps.postEphemeral({ channel, user: userId, text: escapeMrkdwn(outcome.message), ...(threadTs ? { threadTs } : {}) });
    }
  });

  app.command(deps.slashCommand, async ({ ack, command }) => {
    const c = obj(command) ?? {};
    const userId = str(c.user_id);
    const channel = str(c.channel_id);
    if (!userId || !channel) {
      host.dropMalformed('slack slash command without user or channel');
      await ack();
      return;
    }
    const senderId = senderIdOf(userId, str(c.user_team_id) ?? str(c.team_id), info);
    const address: ConversationAddress = { conversationId: channel };
    const request = parseSlashText(typeof c.text === 'string' ? c.text : '');
    const reply = (text: string) => ack({ response_type: 'ephemeral', text: escapeMrkdwn(text) });
    try {
      if (request.kind === 'help') return await ack({ response_type: 'ephemeral', text: usageText(deps.slashCommand) });
      if (request.kind === 'status') return await reply(await host.statusText(address, senderId));
      if (request.kind === 'new') {
        await host.resetConversation(address, senderId);
        return await reply('Started a new conversation here. Earlier messages, grants and files no longer apply.');
      }
      // The answer is posted in the channel: asking where the bot is not a member would lose it.
      if (!channel.startsWith('D') && (await deps.isMember(channel)) === false) {
        return await reply(`Invite the app to this channel first (/invite the bot), or ask it in a direct message.`);
      }
      const result = await host.receive({
        ...address,
        chatType: channel.startsWith('D') ? 'direct' : 'group',
        senderId,
        senderName: str(c.user_name) ?? userId,
        text: request.text,
        time: new Date(),
        platformMessageId: `command:${str(c.trigger_id) ?? `${Date.now()}`}`,
        addressedToBot: true,
      });
      if (result.status === 'refused') return await reply(result.message);
      return await reply(result.status === 'duplicate' ? 'Already asked.' : 'Asked. The answer will follow here.');
    } catch (err) {
      logger.warn({ err: err instanceof Error ? err.message : 'unknown', sub: request.kind }, 'slack slash command failed');
      return await reply(failureText(err));
    }
  });
}

/** Posts an ephemeral note; failures are logged, never thrown (the press was already answered). */
export function ephemeralSender(call: (args: Obj) => Promise<unknown>, logger: ChannelLogger): EphemeralSender {
  return async ({ channel, user, text, threadTs }) => {
    try {
      await call({ channel, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
    } catch (err) {
      logger.warn({ err: describeSlackError(err) }, 'slack: could not post the ephemeral answer to a button press');
    }
  };
}
