// Turns outbound text and approval prompts into m.room.message content: a plain `body`, and an
// HTML `formatted_body` only where formatting helps (code blocks, inline code, the prompt's
// layout). Every piece of model or request text is HTML-escaped, so a reply can never inject
// markup, links or mentions of its own. Must never put text into formatted_body unescaped.
import type { ApprovalPrompt } from '../../src/core/types.js';
import { renderApprovalText } from '../../src/policy/approval-text.js';

/** Matrix has no hard text limit; 16,000 characters (with the HTML copy) stay well under the 64 KiB event cap. */
export const MATRIX_TEXT_LIMIT = 16_000;

export const APPROVE_REACTION = '✅';
export const DENY_REACTION = '❌';
/** The content key that marks a bot message as the prompt of an approval (read back when someone reacts). */
export const APPROVAL_KEY = 'org.securesphere.approval_id';
/** The content key that marks a bot notice as the answer to one reaction. */
export const ANSWER_KEY = 'org.securesphere.answer_to';

export interface MessageContent {
  msgtype: 'm.text' | 'm.notice';
  body: string;
  format?: 'org.matrix.custom.html';
  formatted_body?: string;
  [key: string]: unknown;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function inlineHtml(text: string): string {
  // `code` spans; everything else escaped, newlines kept.
  return text
    .split(/(`[^`\n]+`)/)
    .map((part) => (/^`[^`\n]+`$/.test(part) ? `<code>${escapeHtml(part.slice(1, -1))}</code>` : escapeHtml(part)))
    .join('')
    .replace(/\n/g, '<br>');
}

/** Whether HTML adds anything: code fences or inline code. */
function wantsFormatting(text: string): boolean {
  return /```/.test(text) || /`[^`\n]+`/.test(text);
}

export function textToHtml(text: string): string {
  const parts = text.split(/```([A-Za-z0-9_+-]*)\n?([\s\S]*?)```/);
  let html = '';
  for (let i = 0; i < parts.length; i += 3) {
    html += inlineHtml(parts[i]!);
    if (i + 2 < parts.length) {
      const lang = parts[i + 1]!;
      html += `<pre><code${lang ? ` class="language-${escapeHtml(lang)}"` : ''}>${escapeHtml(parts[i + 2]!)}</code></pre>`;
    }
  }
  return html;
}

export function renderText(text: string): MessageContent {
  if (!wantsFormatting(text)) return { msgtype: 'm.text', body: text };
  return { msgtype: 'm.text', body: text, format: 'org.matrix.custom.html', formatted_body: textToHtml(text) };
}

const HOW_TO_ANSWER = `React ${APPROVE_REACTION} to approve or ${DENY_REACTION} to deny (your reaction is your decision), or type the command below.`;

/** The prompt: summary, exact command or change, level, who may approve, expiry, how to answer; with its outcome once decided. */
export function renderPrompt(prompt: ApprovalPrompt): MessageContent {
  const text = renderApprovalText(prompt);
  const decided = prompt.outcome !== undefined;
  const body = decided ? text : `${text}\n${HOW_TO_ANSWER}`;
  const [head, detail, ...rest] = text.split('\n');
  const html = [
    `<b>${escapeHtml(head ?? '')}</b>`,
    `<pre><code>${escapeHtml(detail ?? '')}</code></pre>`,
    rest.map(escapeHtml).join('<br>'),
    decided ? '' : `<br>${escapeHtml(HOW_TO_ANSWER)}`,
  ].join('');
  return { msgtype: 'm.text', body, format: 'org.matrix.custom.html', formatted_body: html, [APPROVAL_KEY]: prompt.approvalId };
}

/** ✅ / ❌ (with or without the emoji variation selector) to a decision; anything else undefined. */
export function reactionDecision(key: string): 'approve' | 'deny' | undefined {
  const bare = key.replace(/\uFE0F/g, '');
  if (bare === APPROVE_REACTION || bare === '👍') return 'approve';
  if (bare === DENY_REACTION || bare === '👎') return 'deny';
  return undefined;
}
