// The slash commands the bot registers on start (globally, or in each configured guild, in one
// bulk PUT each): /ask, /approve, /deny, /status, /new. Plain JSON for the REST API, so nothing
// here depends on discord.js's builders. Must stay in step with the handlers in interactions.ts.
export const COMMAND_NAMES = ['ask', 'approve', 'deny', 'status', 'new'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

const STRING_OPTION = 3;

export const SLASH_COMMANDS = [
  { name: 'ask', description: 'Ask SecureSphere something', options: [{ type: STRING_OPTION, name: 'text', description: 'Your message', required: true, max_length: 6000 }] },
  { name: 'approve', description: 'Approve a step waiting for you', options: [{ type: STRING_OPTION, name: 'id', description: 'The approval id shown on the prompt', required: true, max_length: 100 }] },
  { name: 'deny', description: 'Refuse a step waiting for approval', options: [{ type: STRING_OPTION, name: 'id', description: 'The approval id shown on the prompt', required: true, max_length: 100 }] },
  { name: 'status', description: 'What is going on in this conversation' },
  { name: 'new', description: 'Start a new conversation here (fresh history, grants and sandbox)' },
];
