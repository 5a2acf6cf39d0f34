// The payloads Slack sends an app, built the way Slack builds them: Events API callbacks
// (`message` in a DM or channel, `app_mention`) with event_id, team and authorizations;
// `block_actions` for a button press (with the pressed message, container and user); slash
// commands with their form fields. Shared by the Socket Mode and HTTP halves of the stand-in.
// Must never put anything in a payload that Slack would not (tests rely on the real shape).
import { randomBytes } from 'node:crypto';
import type { BotMessage, SlackWorkspace } from './slack-state.js';

export interface UserMessageInput {
  user: string;
  channel: string;
  text: string;
  /** Posted as a reply in this thread. */
  threadTs?: string;
  /** Override the sender's team (a Slack Connect user from another workspace). */
  userTeam?: string;
}

export interface ClickInput {
  user: string;
  /** The bot message whose button is pressed (from fake.messages). */
  message: BotMessage;
  actionId: string;
  /** Default: the value of the button with that action_id in the message. */
  value?: string;
}

export interface SlashInput {
  user: string;
  channel: string;
  text: string;
  command?: string;
}

function id(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex').toUpperCase()}`;
}

function buttonValue(message: BotMessage, actionId: string): string | undefined {
  for (const block of message.blocks ?? []) {
    const elements = (block as { elements?: Array<{ action_id?: string; value?: string }> }).elements ?? [];
    const button = elements.find((e) => e.action_id === actionId);
    if (button) return button.value;
  }
  return undefined;
}

export function createPayloadBuilder(workspace: SlackWorkspace, responseUrlBase: string) {
  const { team, bot } = workspace;

  function callback(event: Record<string, unknown>): Record<string, unknown> {
    return {
      token: 'legacy-verification-token',
      team_id: team.id,
      api_app_id: bot.appId,
      event,
      type: 'event_callback',
      event_id: id('Ev'),
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: team.id, user_id: bot.userId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
      event_context: id('4-'),
    };
  }

  function userOf(userId: string, override?: string): string {
    return override ?? workspace.users.get(userId)?.teamId ?? team.id;
  }

  return {
    /** A `message` event: in a DM (channel_type im) or a channel the bot is in. */
    message(input: UserMessageInput): { payload: Record<string, unknown>; ts: string } {
      const channel = workspace.channels.get(input.channel);
      const ts = workspace.nextTs();
      const event = {
        type: 'message',
        client_msg_id: id('cm-'),
        channel: input.channel,
        user: input.user,
        text: input.text,
        ts,
        event_ts: ts,
        team: userOf(input.user, input.userTeam),
        channel_type: channel?.isIm ? 'im' : channel?.isPrivate ? 'group' : 'channel',
        ...(input.threadTs ? { thread_ts: input.threadTs, parent_user_id: bot.userId } : {}),
      };
      return { payload: callback(event), ts };
    },
    /** An `app_mention`: the text starts with `<@BOT>` unless it already mentions the bot. */
    mention(input: UserMessageInput): { payload: Record<string, unknown>; ts: string } {
      const ts = workspace.nextTs();
      const text = input.text.includes(`<@${bot.userId}>`) ? input.text : `<@${bot.userId}> ${input.text}`;
      const event = {
        type: 'app_mention',
        client_msg_id: id('cm-'),
        channel: input.channel,
        user: input.user,
        text,
        ts,
        event_ts: ts,
        team: userOf(input.user, input.userTeam),
        ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
      };
      return { payload: callback(event), ts };
    },
    /** A `block_actions` payload for a button in one of the bot's messages. */
    click(input: ClickInput): Record<string, unknown> {
      const user = workspace.users.get(input.user);
      const channel = workspace.channels.get(input.message.channel);
      const actionTs = workspace.nextTs();
      return {
        type: 'block_actions',
        user: { id: input.user, username: user?.name ?? input.user, name: user?.name ?? input.user, team_id: user?.teamId ?? team.id },
        api_app_id: bot.appId,
        token: 'legacy-verification-token',
        container: { type: 'message', message_ts: input.message.ts, channel_id: input.message.channel, is_ephemeral: false, ...(input.message.threadTs ? { thread_ts: input.message.threadTs } : {}) },
        trigger_id: `${Date.now()}.${id('')}`,
        team: { id: team.id, domain: 'fake' },
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: input.message.channel, name: channel?.name ?? input.message.channel },
        message: { type: 'message', user: bot.userId, bot_id: bot.botId, text: input.message.text, ts: input.message.ts, ...(input.message.threadTs ? { thread_ts: input.message.threadTs } : {}), blocks: input.message.blocks ?? [] },
        state: { values: {} },
        response_url: `${responseUrlBase}/actions/${id('')}`,
        actions: [{ action_id: input.actionId, block_id: id('b'), value: input.value ?? buttonValue(input.message, input.actionId) ?? '', type: 'button', action_ts: actionTs, text: { type: 'plain_text', text: input.actionId } }],
      };
    },
    /** The fields of a slash command invocation. */
    slash(input: SlashInput): Record<string, unknown> {
      const user = workspace.users.get(input.user);
      const channel = workspace.channels.get(input.channel);
      return {
        token: 'legacy-verification-token',
        team_id: team.id,
        team_domain: 'fake',
        channel_id: input.channel,
        channel_name: channel?.isIm ? 'directmessage' : (channel?.name ?? input.channel),
        user_id: input.user,
        user_name: user?.name ?? input.user,
        command: input.command ?? '/securesphere',
        text: input.text,
        api_app_id: bot.appId,
        is_enterprise_install: 'false',
        response_url: `${responseUrlBase}/commands/${id('')}`,
        trigger_id: `${Date.now()}.${id('')}`,
      };
    },
  };
}
