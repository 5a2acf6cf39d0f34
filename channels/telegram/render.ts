// How SecureSphere's plain text and approval prompts look on Telegram: everything is sent with
// parse_mode HTML, so every piece of text that is not our own markup is escaped here; approval
// prompts get an inline keyboard whose callback data is only a decision letter and the opaque
// approval id. Must never put arguments, names or anything but that id into callback data.
import type { ApprovalPrompt } from '../../src/core/types.js';

export const TELEGRAM_TEXT_LIMIT = 4096;
/** Telegram refuses callback data longer than 64 bytes. */
const CALLBACK_DATA_LIMIT = 64;

export type Decision = 'approve' | 'deny' | 'allow_conversation';
const DECISION_CODES: Record<Decision, string> = { approve: 'a', deny: 'd', allow_conversation: 'c' };
const DECISION_LABELS: Record<Decision, string> = { approve: 'Approve', deny: 'Deny', allow_conversation: 'Allow for this chat' };

/** Escapes text for parse_mode HTML (the three characters Telegram requires, plus quotes). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function encodeCallbackData(decision: Decision, approvalId: string): string | undefined {
  const data = `${DECISION_CODES[decision]}:${approvalId}`;
  return Buffer.byteLength(data) <= CALLBACK_DATA_LIMIT ? data : undefined;
}

export function decodeCallbackData(data: string): { decision: Decision; approvalId: string } | undefined {
  const match = /^([adc]):([A-Za-z0-9_-]{1,62})$/.exec(data);
  if (!match) return undefined;
  const decision = (Object.keys(DECISION_CODES) as Decision[]).find((d) => DECISION_CODES[d] === match[1]);
  return decision ? { decision, approvalId: match[2]! } : undefined;
}

export interface InlineKeyboard {
  inline_keyboard: Array<Array<{ text: string; callback_data: string }>>;
}

export interface RenderedMessage {
  /** HTML for parse_mode HTML; its visible text is at most TELEGRAM_TEXT_LIMIT characters. */
  html: string;
  keyboard?: InlineKeyboard;
}

const OUTCOME_WORDS = { approved: 'Approved', denied: 'Denied', expired: 'Expired' } as const;

function outcomeLine(prompt: ApprovalPrompt): string | undefined {
  const outcome = prompt.outcome;
  if (!outcome) return undefined;
  const by = outcome.by ? ` by ${outcome.by}` : '';
  return `${OUTCOME_WORDS[outcome.status]}${by} at ${outcome.at.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

function keyboard(prompt: ApprovalPrompt): InlineKeyboard | undefined {
  const buttons = prompt.options
    .map((option) => ({ text: DECISION_LABELS[option], callback_data: encodeCallbackData(option, prompt.approvalId) }))
    .filter((b): b is { text: string; callback_data: string } => b.callback_data !== undefined);
  if (buttons.length === 0) return undefined;
  const first = buttons.filter((b) => !b.callback_data.startsWith('c:'));
  const rest = buttons.filter((b) => b.callback_data.startsWith('c:'));
  return { inline_keyboard: rest.length > 0 ? [first, rest] : [first] };
}

/** An approval prompt: summary, the exact detail, level and expiry; buttons while pending, the outcome after. */
export function renderPrompt(prompt: ApprovalPrompt): RenderedMessage {
  const outcome = outcomeLine(prompt);
  const head = [`<b>${escapeHtml(prompt.summary)}</b>`];
  const tail = [
    `Level: ${escapeHtml(prompt.securityLevel)}`,
    outcome ? `<b>${escapeHtml(outcome)}</b>` : `Expires: ${prompt.expiresAt.toISOString().replace('T', ' ').slice(0, 16)} UTC`,
  ];
  const visibleOverhead = prompt.summary.length + tail.join('\n').length + 16;
  let detail = prompt.detail;
  const room = TELEGRAM_TEXT_LIMIT - visibleOverhead - 32;
  if (detail.length > room) detail = `${detail.slice(0, Math.max(0, room))}\n… (shortened for Telegram)`;
  const html = [...head, `<pre>${escapeHtml(detail)}</pre>`, ...tail].join('\n');
  const buttons = outcome ? undefined : keyboard(prompt);
  return buttons ? { html, keyboard: buttons } : { html };
}

/** A plain message: escaped, cut at the limit if the host ever hands over more. */
export function renderText(text: string): RenderedMessage {
  const visible = text.length > TELEGRAM_TEXT_LIMIT ? `${text.slice(0, TELEGRAM_TEXT_LIMIT - 1)}…` : text;
  return { html: escapeHtml(visible) };
}
