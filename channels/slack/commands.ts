// The slash command's sub-commands: `ask <text>` (a message to the bot in this conversation),
// `status` (what the conversation is doing), `new` (start over: new history, grants and agent),
// anything else gets the usage text. Pure parsing; the adapter runs them.
// Must never treat the command's text as anything but the user's message.

export type SlashRequest = { kind: 'ask'; text: string } | { kind: 'status' } | { kind: 'new' } | { kind: 'help' };

export function parseSlashText(text: string): SlashRequest {
  const trimmed = text.trim();
  const match = /^(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed);
  const verb = match?.[1]?.toLowerCase();
  const rest = match?.[2]?.trim() ?? '';
  if (verb === 'ask' && rest !== '') return { kind: 'ask', text: rest };
  if (verb === 'status' && rest === '') return { kind: 'status' };
  if (verb === 'new' && rest === '') return { kind: 'new' };
  return { kind: 'help' };
}

export function usageText(command: string): string {
  return [
    `\`${command} ask <text>\` — ask SecureSphere; the answer follows in this conversation`,
    `\`${command} status\` — what this conversation is doing (pending approvals, agent)`,
    `\`${command} new\` — start a new conversation here (earlier messages, grants and files no longer apply)`,
    'You can also message the app directly, or mention it in a channel (it answers in a thread).',
  ].join('\n');
}
