// The CLI channel: a terminal conversation with a running gateway over its HTTP API.
// Approval prompts are shown inline and answered with y (approve once), n (deny) or
// a (allow this skill operation for the rest of the conversation); `/approve ID` and
// `/deny ID` work too. Lines are read in order; each waits for its turn to finish.
// Everything shown that came from the gateway (replies, summaries, error messages, ids) goes
// through visibleText first: a model reply must not be able to clear the screen, retitle the
// terminal or draw a fake prompt over the real one. Replies are printed as the model writes
// them when the gateway offers the reply stream (each piece sanitized the same way).
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ApprovalPrompt } from '../../core/types.js';
import type { ApiClient } from './api-client.js';
import { parseApprovalCommand, type ChannelDecision } from '../../policy/approval-text.js';
import { visibleText } from '../../core/visible-text.js';
import { parseTerminalDecision, renderApprovalPromptForTerminal, terminalChoices } from './approval-prompt.js';

interface PendingApproval {
  id: string;
  action_id: string;
  summary: string;
}

interface MessageOutcome {
  conversation_id: string;
  status: string;
  reply?: { text: string };
  pending_approvals: PendingApproval[];
  error?: { message: string };
}

interface StoredMessage {
  id: number;
  role: string;
  content: string;
  tool_calls?: unknown[];
}

export interface TerminalChatOptions {
  api: ApiClient;
  input: Readable;
  output: Writable;
  conversationId: string;
  /** Post as api:<user> (a token allowed to act for others); default: the token's own identity. Decisions are always the token's. */
  user?: string;
  /** How long to wait for the conversation to continue after a decision. */
  followUpTimeoutMs?: number;
}

export async function runTerminalChat(options: TerminalChatOptions): Promise<void> {
  const { api, output, conversationId, user } = options;
  const say = (text: string) => output.write(`${text}\n`);
  // Text from the gateway (a model, a tool, another user): shown, never interpreted by the terminal.
  const plain = (text: unknown) => visibleText(text, { multiline: true });
  // A reply's later lines carry a gutter, so a reply cannot print a line that looks like one of
  // ours (a fake "Approval needed" prompt) at the start of a line.
  const rendered = (text: unknown) => plain(text).split('\n').join('\n   │ ');
  const botSays = (text: unknown) => say(`bot: ${rendered(text)}`);
  const queue: PendingApproval[] = [];
  let lastMessageId = 0;
  // The full prompt of queue[0] once shown: what the y/n/a answer is checked against.
  let shown: ApprovalPrompt | undefined;

  // Replies as the model writes them (when the API offers the stream): printed as they grow,
  // then completed by the turn's answer. Each event holds the reply so far; only its rendered
  // (sanitized) form is ever written, and only when it extends what is on the line already.
  let live = { id: '', printed: '' };
  const finished = new Set<string>();
  const onProgress = (name: string, data: string): void => {
    if (name !== 'progress') return;
    let event: { stream_id?: unknown; text?: unknown; done?: unknown };
    try {
      event = JSON.parse(data) as typeof event;
    } catch {
      return;
    }
    if (typeof event.stream_id !== 'string' || typeof event.text !== 'string' || finished.has(event.stream_id)) return;
    if (event.stream_id !== live.id) {
      if (live.printed) output.write('\n');
      live = { id: event.stream_id, printed: '' };
    }
    const text = rendered(event.text);
    if (text.startsWith(live.printed) && text.length > live.printed.length) {
      output.write(`${live.printed ? '' : 'bot: '}${text.slice(live.printed.length)}`);
      live.printed = text;
    }
    if (event.done === true) finished.add(event.stream_id);
  };
  // Opened before the line reader: lines typed meanwhile must not be missed.
  const stream = options.api.events
    ? await options.api.events(`/api/conversations/${encodeURIComponent(conversationId)}/stream`, onProgress).catch(() => undefined)
    : undefined;
  /** Prints a finished reply: the rest of what was streamed, or the whole text. */
  const showReply = (reply: unknown): void => {
    const text = rendered(reply);
    if (live.printed && text.startsWith(live.printed)) output.write(`${text.slice(live.printed.length)}\n`);
    else {
      if (live.printed) output.write('\n');
      botSays(reply);
    }
    if (live.id) finished.add(live.id);
    live = { id: '', printed: '' };
  };
  const endStreamedLine = (): void => {
    if (live.printed) output.write('\n');
    if (live.id) finished.add(live.id);
    live = { id: '', printed: '' };
  };

  const rl = createInterface({ input: options.input, terminal: false });
  say(`securesphere chat: conversation ${plain(conversationId)} as ${user ? plain(`api:${user.replace(/^api:/, '')}`) : "this token's identity"}. Type a message; Ctrl-D to quit.`);

  // Shows the full prompt (exact command, level, who may approve, expiry) for the oldest
  // undecided request; the text fallback `/approve ID` is printed with it.
  const showNextPrompt = async () => {
    const next = queue[0];
    if (!next) return;
    const res = await api.request<{ prompt?: ApprovalPrompt & { expiresAt: string } }>('GET', `/api/approvals/${encodeURIComponent(next.id)}`);
    const prompt = res.body?.prompt;
    shown = res.status === 200 && prompt ? { ...prompt, expiresAt: new Date(prompt.expiresAt) } : undefined;
    if (shown) {
      say(renderApprovalPromptForTerminal(shown));
    } else {
      say(`Approval needed ${plain(next.id)}: ${plain(next.summary)}\n  [y] approve once  [a] allow for this conversation  [n] deny`);
    }
    say(`  (or type /approve ${plain(next.id)} or /deny ${plain(next.id)})`);
  };

  const decide = async (approvalId: string, choice: ChannelDecision) => {
    const decision = choice === 'deny' ? 'deny' : 'approve';
    const scope = choice === 'allow_conversation' ? 'conversation' : 'once';
    const res = await api.request<{ error?: { message: string } }>('POST', `/api/approvals/${encodeURIComponent(approvalId)}/${decision}`, { scope });
    if (res.status >= 400) {
      say(`! ${plain(res.body?.error?.message ?? `decision failed (${res.status})`)}`);
      return;
    }
    const index = queue.findIndex((p) => p.id === approvalId);
    if (index >= 0) queue.splice(index, 1);
    say(decision === 'approve' ? `approved ${plain(approvalId)}${scope === 'conversation' ? ' (for this conversation)' : ''}` : `denied ${plain(approvalId)}`);
    if (queue.length === 0) await followUp();
    else await showNextPrompt();
  };

  // After a decision the gateway continues the turn by itself; show what it says.
  const followUp = async () => {
    const deadline = Date.now() + (options.followUpTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      const res = await api.request<{ messages: StoredMessage[] }>('GET', `/api/conversations/${encodeURIComponent(conversationId)}/messages?after=${lastMessageId}`);
      const messages = res.body?.messages ?? [];
      for (const m of messages) {
        lastMessageId = Math.max(lastMessageId, m.id);
        if (m.role === 'assistant' && !m.tool_calls?.length) {
          showReply(m.content);
          await refreshPending();
          return;
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await refreshPending();
  };

  const refreshPending = async () => {
    const res = await api.request<{ approvals: Array<{ id: string; action_id: string; summary: string; conversation_id: string }> }>('GET', '/api/approvals?status=pending');
    for (const a of res.body?.approvals ?? []) {
      if (a.conversation_id === conversationId && !queue.some((q) => q.id === a.id)) queue.push({ id: a.id, action_id: a.action_id, summary: a.summary });
    }
    await showNextPrompt();
  };

  for await (const raw of rl) {
    const line = raw.trim();
    if (!line) continue;
    // `/approve ID` (any request), or y/n/a for the one shown, read by the same parsers the
    // tests cover; "a" where the prompt does not offer it (critical steps) is refused here.
    const command = parseApprovalCommand(line);
    if (command) {
      await decide(command.approvalId, command.decision);
      continue;
    }
    if (queue.length > 0) {
      const choice = parseTerminalDecision(line, shown);
      if (choice) {
        await decide(queue[0]!.id, choice);
        continue;
      }
      if (/^(a|always|allow)$/i.test(line) && shown) {
        say(`! not offered for this request: ${terminalChoices(shown)}`);
        continue;
      }
    }
    const res = await api.request<MessageOutcome>('POST', '/api/messages', { conversation_id: conversationId, ...(user ? { user } : {}), text: line });
    if (res.status >= 400) {
      say(`! ${plain(res.body?.error?.message ?? `request failed (${res.status})`)}`);
      continue;
    }
    // Skip past everything this turn stored, page by page (a long conversation has more than one).
    for (;;) {
      const page = await api.request<{ messages: StoredMessage[] }>('GET', `/api/conversations/${encodeURIComponent(conversationId)}/messages?after=${lastMessageId}&limit=1000`);
      const messages = page.body?.messages ?? [];
      for (const m of messages) lastMessageId = Math.max(lastMessageId, m.id);
      if (messages.length < 1000) break;
    }
    if (res.body.reply) showReply(res.body.reply.text);
    else endStreamedLine();
    for (const p of res.body.pending_approvals) queue.push(p);
    await showNextPrompt();
  }
  rl.close();
  stream?.close();
}
