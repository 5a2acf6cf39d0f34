// Splits a long reply into messages no longer than a platform's limit, without breaking words,
// inline code spans, bold runs or fenced code blocks: a fence cut across two messages is closed
// at the end of the first and reopened (with its language) at the start of the next. Pure, no
// I/O. Never drops or reorders characters other than the single whitespace at each cut.

const FENCE = /^\s{0,3}(```+|~~~+)(.*)$/;
/** Room kept for the "\n```" that closes a fence cut in two. */
const CLOSE_RESERVE = 8;
export const MIN_SPLIT_LIMIT = 32;

interface FenceState {
  /** The opening line ("```ts") of the fence we are inside, or undefined. */
  opener?: string;
  marker?: string;
}

export function splitText(text: string, limit: number): string[] {
  if (!Number.isInteger(limit) || limit < MIN_SPLIT_LIMIT) throw new RangeError(`split limit must be an integer >= ${MIN_SPLIT_LIMIT}`);
  if (text.length <= limit) return [text];
  const chunks: string[] = [];
  let rest = text;
  let fence: FenceState = {};
  while (rest.length > 0) {
    const prefix = fence.opener !== undefined ? `${fence.opener}\n` : '';
    if (prefix.length + rest.length <= limit) {
      chunks.push(prefix + rest);
      break;
    }
    const budget = limit - prefix.length - CLOSE_RESERVE;
    const { cut, skip } = findCut(rest, budget, fence);
    const body = rest.slice(0, cut);
    const after = scanFences(body, fence);
    chunks.push(prefix + body + (after.opener !== undefined ? `\n${after.marker}` : ''));
    rest = rest.slice(cut + skip);
    fence = after;
    if (after.opener === undefined) rest = rest.replace(/^[ \t]*\n/, '');
  }
  return chunks.filter((c) => c.trim() !== '');
}

/** Fence state after reading `body`, starting in state `start`. */
function scanFences(body: string, start: FenceState): FenceState {
  let state = { ...start };
  for (const line of body.split('\n')) {
    const m = FENCE.exec(line);
    if (!m) continue;
    if (state.opener === undefined) state = { opener: line.trimStart(), marker: m[1]! };
    else if (m[1]!.startsWith(state.marker!) && m[2]!.trim() === '') state = {};
  }
  return state;
}

/**
 * Where to cut `rest` so the first part is at most `budget` characters: the last blank line,
 * else the last newline, else the last space outside an inline code span or bold run, each in
 * the second half of the window; else any such space or newline; else a hard cut (never inside
 * a surrogate pair). `skip` is how many separator characters are dropped at the cut.
 */
function findCut(rest: string, budget: number, fence: FenceState): { cut: number; skip: number } {
  const window = rest.slice(0, budget + 1);
  const half = Math.floor(budget / 2);
  const paragraph = window.lastIndexOf('\n\n', budget - 1);
  if (paragraph >= half && fence.opener === undefined && scanFences(window.slice(0, paragraph), fence).opener === undefined) return { cut: paragraph, skip: 2 };
  const newline = window.lastIndexOf('\n', budget);
  if (newline >= half) return { cut: newline, skip: 1 };
  const space = lastSafeSpace(window, budget);
  if (space >= half) return { cut: space, skip: 1 };
  if (space > 0 || newline > 0) return space > newline ? { cut: space, skip: 1 } : { cut: newline, skip: 1 };
  let cut = budget;
  const code = rest.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return { cut, skip: 0 };
}

/** The last space at or before `max` that is not inside `inline code` or a **bold** run of its line. */
function lastSafeSpace(window: string, max: number): number {
  let best = -1;
  let ticks = 0;
  let stars = 0;
  for (let i = 0; i < Math.min(window.length, max + 1); i++) {
    const ch = window[i];
    if (ch === '\n') {
      ticks = 0;
      stars = 0;
    } else if (ch === '`') ticks++;
    else if (ch === '*' && window[i + 1] === '*') {
      stars++;
      i++;
    } else if ((ch === ' ' || ch === '\t') && ticks % 2 === 0 && stars % 2 === 0) best = i;
  }
  return best;
}
