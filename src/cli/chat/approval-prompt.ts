// How `securesphere chat` shows an approval prompt in a terminal and reads the answer.
// Everything model-supplied is passed through sanitizeForDisplay first: a terminal escape in
// the arguments must not be able to repaint the screen and hide what is being approved.
import type { ApprovalPrompt } from '../../core/types.js';
import { describeOutcome, parseApprovalCommand, sanitizeForDisplay, type ChannelDecision } from '../../policy/approval-text.js';

export interface TerminalRenderOptions {
  /** ANSI colours (bold, level colour); default false so pipes and logs stay plain. */
  color?: boolean;
  /** Clock for "expires in", for tests. */
  now?: Date;
}

const LEVEL_COLOR: Record<ApprovalPrompt['securityLevel'], string> = {
  low: '\u001b[32m',
  medium: '\u001b[33m',
  high: '\u001b[31m',
  critical: '\u001b[1;41;97m',
};
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

export function renderApprovalPromptForTerminal(prompt: ApprovalPrompt, options: TerminalRenderOptions = {}): string {
  const paint = (code: string, text: string) => (options.color ? `${code}${text}${RESET}` : text);
  const level = paint(LEVEL_COLOR[prompt.securityLevel], prompt.securityLevel.toUpperCase());
  const lines = [
    `${paint(BOLD, 'Approval needed')} [${level}] ${sanitizeForDisplay(prompt.approvalId)}`,
    `  ${sanitizeForDisplay(prompt.summary)}`,
    ...sanitizeForDisplay(prompt.detail).split('\n').map((line) => `  | ${line}`),
    `  Who may approve: ${prompt.approvers.map(sanitizeForDisplay).join(', ') || 'nobody'}`,
  ];
  const outcome = describeOutcome(prompt);
  if (outcome) {
    lines.push(`  ${paint(BOLD, outcome)}`);
    return lines.join('\n');
  }
  const now = options.now ?? new Date();
  const seconds = Math.max(0, Math.round((prompt.expiresAt.getTime() - now.getTime()) / 1000));
  lines.push(`  Expires at ${prompt.expiresAt.toISOString()} (in ${formatDuration(seconds)}).`);
  lines.push(`  ${terminalChoices(prompt)}`);
  return lines.join('\n');
}

/** The question line, e.g. "[y] approve once  [a] allow for this conversation  [n] deny". */
export function terminalChoices(prompt: ApprovalPrompt): string {
  const choices = ['[y] approve once'];
  if (prompt.options.includes('allow_conversation')) choices.push('[a] allow for this conversation');
  choices.push('[n] deny');
  return choices.join('  ');
}

/**
 * Reads a terminal answer: y/yes, n/no, a/always/allow (only if the prompt offers it), or the
 * text-fallback commands for this prompt. Returns undefined for anything else (ask again).
 */
export function parseTerminalDecision(line: string, prompt?: ApprovalPrompt): ChannelDecision | undefined {
  const answer = line.trim().toLowerCase();
  let decision: ChannelDecision | undefined;
  if (answer === 'y' || answer === 'yes') decision = 'approve';
  else if (answer === 'n' || answer === 'no') decision = 'deny';
  else if (answer === 'a' || answer === 'always' || answer === 'allow') decision = 'allow_conversation';
  else {
    const command = parseApprovalCommand(line);
    if (command && (!prompt || command.approvalId === prompt.approvalId)) decision = command.decision;
  }
  if (decision === 'allow_conversation' && prompt && !prompt.options.includes('allow_conversation')) return undefined;
  return decision;
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}
