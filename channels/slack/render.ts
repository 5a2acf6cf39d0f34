// Turns the gateway's plain text into Slack mrkdwn and approval prompts into Block Kit. Model
// text is escaped (`&`, `<`, `>`) everywhere, so it can never form a link, a user or channel
// mention, or `<!channel>`; code blocks and inline code are kept as they are written, and
// Markdown bold becomes mrkdwn bold outside code. A prompt shows the summary, the exact command
// or change, the level, who may approve and the expiry, with buttons whose value is only the
// opaque approval id. Must never put an action's arguments into a button or a block id.
import type { ApprovalPrompt } from '../../src/core/types.js';

/** Slack's recommended ceiling for one message's text; the host splits replies at this length. */
export const SLACK_TEXT_LIMIT = 3_500;
/** A section block's text limit is 3000 characters; leave room for the code fence and escapes. */
const SECTION_CHUNK = 2_400;
const MAX_BLOCKS = 50;

export const APPROVAL_ACTIONS = {
  approve: 'ss_approve',
  deny: 'ss_deny',
  allow_conversation: 'ss_allow_conversation',
} as const;
export type ApprovalChoice = keyof typeof APPROVAL_ACTIONS;
export const APPROVAL_ACTION_PATTERN = /^ss_(approve|deny|allow_conversation)$/;

const BUTTON_LABELS: Record<ApprovalChoice, string> = { approve: 'Approve', deny: 'Deny', allow_conversation: 'Allow for this conversation' };

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Outside code only: **bold** and __bold__ to *bold*, `# heading` lines to bold lines. */
function markdownToMrkdwn(prose: string): string {
  return prose
    .replace(/\*\*(?=\S)([^*\n]+?)\*\*/g, '*$1*')
    .replace(/__(?=\S)([^_\n]+?)__/g, '*$1*')
    .replace(/^#{1,6}[ \t]+(.+)$/gm, '*$1*');
}

/** Plain (already redacted) model text to mrkdwn: escaped, code kept, bold converted outside code. */
export function toMrkdwn(text: string): string {
  const parts = text.split(/(```[\s\S]*?(?:```|$)|`[^`\n]+`)/);
  return parts.map((part, i) => (i % 2 === 1 ? escapeMrkdwn(part) : markdownToMrkdwn(escapeMrkdwn(part)))).join('');
}

/** A Slack identity we can show as a native mention; anything else is shown escaped. */
export function renderIdentity(identity: string): string {
  const match = /^slack:([UW][A-Z0-9]{2,30})$/.exec(identity);
  return match ? `<@${match[1]}>` : escapeMrkdwn(identity);
}

function slackDate(date: Date): string {
  const seconds = Math.floor(date.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${escapeMrkdwn(date.toISOString())}>`;
}

function chunk(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [''];
}

const OUTCOME_TEXT = { approved: 'Approved', denied: 'Denied', expired: 'Expired (denied)' } as const;

export interface RenderedMessage {
  text: string;
  blocks?: Array<Record<string, unknown>>;
}

export function renderPrompt(prompt: ApprovalPrompt): RenderedMessage {
  const fence = (s: string) => '```' + escapeMrkdwn(s.replace(/```/g, '`\u200b``')) + '```';
  const blocks: Array<Record<string, unknown>> = [{ type: 'section', text: { type: 'mrkdwn', text: `*Approval needed:* ${escapeMrkdwn(prompt.summary)}`.slice(0, 2_900) } }];
  const detailChunks = chunk(prompt.detail, SECTION_CHUNK);
  const room = MAX_BLOCKS - 4;
  for (const part of detailChunks.slice(0, room)) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: fence(part) } });
  if (detailChunks.length > room) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: '_The command is longer than Slack can show; see it with `securesphere approvals list`._' }] });
  const approvers = prompt.approvers.length ? prompt.approvers.map(renderIdentity).join(', ') : 'the requester';
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Level: *${escapeMrkdwn(prompt.securityLevel)}*  ·  Who may approve: ${approvers}  ·  Expires ${slackDate(prompt.expiresAt)}`.slice(0, 2_900) }],
  });
  if (prompt.outcome) {
    const by = prompt.outcome.by ? ` by ${renderIdentity(prompt.outcome.by)}` : '';
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `*${OUTCOME_TEXT[prompt.outcome.status]}*${by} at ${slackDate(prompt.outcome.at)}` }] });
  } else {
    blocks.push({
      type: 'actions',
      block_id: 'ss_approval',
      elements: prompt.options.map((choice) => ({
        type: 'button',
        action_id: APPROVAL_ACTIONS[choice],
        text: { type: 'plain_text', text: BUTTON_LABELS[choice] },
        value: prompt.approvalId,
        ...(choice === 'approve' ? { style: 'primary' } : choice === 'deny' ? { style: 'danger' } : {}),
      })),
    });
  }
  const state = prompt.outcome ? ` (${OUTCOME_TEXT[prompt.outcome.status].toLowerCase()})` : '';
  return { text: `Approval needed${state}: ${escapeMrkdwn(prompt.summary)}`, blocks };
}

/** Slack's own text (mentions, links, &amp;) to the plain text the model reads. */
export function slackTextToPlain(text: string, botUserId: string): string {
  return text
    .replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g'), '')
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/<mailto:[^|>]+\|([^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}
