// The bot's own commands, registered with setMyCommands so Telegram lists them: /start and
// /help explain the bot, /new starts a fresh conversation, /status reports on the current one.
// Must never treat a command addressed to another bot (/status@otherbot) as ours.
import type { Message, UserFromGetMe } from 'grammy/types';

export const BOT_COMMANDS = [
  { command: 'start', description: 'What this bot is and how to use it' },
  { command: 'help', description: 'How approvals and commands work' },
  { command: 'new', description: 'Start a new conversation (fresh history, grants and sandbox)' },
  { command: 'status', description: 'Status of this conversation' },
] as const;

export type BotCommandName = (typeof BOT_COMMANDS)[number]['command'];

export const HELP_TEXT = [
  'This is a SecureSphere gateway bot. Write to it like to a person; it may use tools to answer.',
  'Risky steps wait for a human: you get a message with Approve / Deny / Allow for this chat buttons. Only the people the operator named as approvers can decide.',
  'In a group, mention the bot or reply to one of its messages.',
  '',
  'Commands:',
  ...BOT_COMMANDS.map((c) => `/${c.command} - ${c.description}`),
].join('\n');

/** The command this message starts with, when it is one of ours; undefined otherwise. */
export function commandOf(message: Message, me: UserFromGetMe): BotCommandName | undefined {
  const first = message.entities?.[0];
  const text = message.text ?? '';
  if (!first || first.type !== 'bot_command' || first.offset !== 0) return undefined;
  const [name, target] = text.slice(1, first.length).toLowerCase().split('@') as [string, string | undefined];
  if (target !== undefined && target !== me.username.toLowerCase()) return undefined;
  return BOT_COMMANDS.find((c) => c.command === name)?.command;
}
