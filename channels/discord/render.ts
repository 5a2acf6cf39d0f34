// How SecureSphere's text and approval prompts look on Discord: plain replies are sent as they
// are (the model writes Markdown, which Discord renders) but never ping anyone (allowed_mentions
// is empty on every message); approval prompts carry Approve / Deny / Allow buttons whose
// custom_id is only a decision letter and the opaque approval id, and lose their buttons once
// decided, showing who decided and when. Must never put names or arguments into a custom_id.
import type { ApprovalPrompt } from '../../src/core/types.js';
import { describeOutcome, sanitizeForDisplay } from '../../src/policy/approval-text.js';

export const DISCORD_TEXT_LIMIT = 2000;
const CUSTOM_ID_LIMIT = 100;

export type Decision = 'approve' | 'deny' | 'allow_conversation';
const DECISION_CODES: Record<Decision, string> = { approve: 'a', deny: 'd', allow_conversation: 'c' };
const LABELS: Record<Decision, string> = { approve: 'Approve', deny: 'Deny', allow_conversation: 'Allow for this conversation' };
/** Discord button styles: 1 primary, 3 success, 4 danger. */
const STYLES: Record<Decision, number> = { approve: 3, deny: 4, allow_conversation: 1 };

/** No @everyone, role or user pings from anything the bot says. */
export const NO_MENTIONS: { parse: never[] } = { parse: [] };

export function encodeCustomId(decision: Decision, approvalId: string): string | undefined {
  const id = `ss:${DECISION_CODES[decision]}:${approvalId}`;
  return id.length <= CUSTOM_ID_LIMIT ? id : undefined;
}

export function decodeCustomId(customId: string): { decision: Decision; approvalId: string } | undefined {
  const match = /^ss:([adc]):([A-Za-z0-9_-]{1,90})$/.exec(customId);
  if (!match) return undefined;
  const decision = (Object.keys(DECISION_CODES) as Decision[]).find((d) => DECISION_CODES[d] === match[1]);
  return decision ? { decision, approvalId: match[2]! } : undefined;
}

/** What one Discord message carries (JSON for the REST API). */
export interface RenderedMessage {
  content: string;
  components: Array<{ type: 1; components: Array<{ type: 2; style: number; label: string; custom_id: string }> }>;
}

/** Keeps a code block from being closed early by the text inside it. */
function fence(text: string): string {
  return text.replace(/```/g, '`\u200b``');
}

export function renderPrompt(prompt: ApprovalPrompt): RenderedMessage {
  const outcome = describeOutcome(prompt);
  const head = `**Approval needed** \`${prompt.approvalId}\` [${prompt.securityLevel}]: ${sanitizeForDisplay(prompt.summary)}`;
  const tail = outcome ? `**${outcome}**` : `Expires <t:${Math.floor(prompt.expiresAt.getTime() / 1000)}:R> · or /approve ${prompt.approvalId}, /deny ${prompt.approvalId}`;
  const room = DISCORD_TEXT_LIMIT - head.length - tail.length - 16;
  let detail = fence(sanitizeForDisplay(prompt.detail));
  if (detail.length > room) detail = `${detail.slice(0, Math.max(0, room - 40))}\n… (shortened for Discord)`;
  let content = `${head}\n\`\`\`\n${detail}\n\`\`\`\n${tail}`;
  if (content.length > DISCORD_TEXT_LIMIT) content = `${content.slice(0, DISCORD_TEXT_LIMIT - 1)}…`;
  if (outcome) return { content, components: [] };
  const buttons = prompt.options
    .map((option) => ({ option, id: encodeCustomId(option, prompt.approvalId) }))
    .filter((b): b is { option: Decision; id: string } => b.id !== undefined)
    .map((b) => ({ type: 2 as const, style: STYLES[b.option], label: LABELS[b.option], custom_id: b.id }));
  return { content, components: buttons.length > 0 ? [{ type: 1, components: buttons }] : [] };
}

/** A plain message: cut at the limit if the host ever hands over more (it splits first). */
export function renderText(text: string): RenderedMessage {
  return { content: text.length > DISCORD_TEXT_LIMIT ? `${text.slice(0, DISCORD_TEXT_LIMIT - 1)}…` : text, components: [] };
}
