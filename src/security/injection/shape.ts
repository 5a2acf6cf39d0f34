// Prose inside data. A tool that returns a table (pipe, tab or comma separated rows) returns
// rows; an instruction planted in it sits on a line of its own between them, which has none of
// the table's separators. Such a line is marked as a cue on the pieces that hold it (scorer.ts):
// a classifier feature like the addressed-to-the-AI cues of cues.ts, never a reason and never a
// flag on its own (a table may have a caption or a note). A document that has such lines also
// gets its classifier score raised (scorer.ts, `offShapeLift`): few harmless documents do. Only a
// few such lines make a table with planted prose; a document with many is a report that mixes
// text and data, and gets none.
// Linear in the text: it runs on every document a tool returns.

export const OFF_SHAPE_CUE = 'cue:prose-inside-data';

const DELIMITERS = ['|', '\t', ','] as const;
/** Rows (lines with the table's separator) a document needs to count as a table. */
const MIN_ROWS = 4;
/** Share of the non-empty lines that must be rows. */
const ROW_SHARE = 0.7;
/** More lines of prose than this, and the document is not a table with something planted in it. */
const MAX_OFF_LINES = 8;
/** Three words of two letters or more: a sentence, not a stray label, number or separator line. */
const THREE_WORDS = /\p{L}{2,}[^\p{L}]+\p{L}{2,}[^\p{L}]+\p{L}{2,}/u;
/** Characters of an off-shape line that a piece must hold (its start or end) to carry the cue. */
const PROBE_CHARS = 30;

function occurrences(line: string, delimiter: string): number {
  let count = 0;
  for (let i = line.indexOf(delimiter); i !== -1; i = line.indexOf(delimiter, i + 1)) count += 1;
  return count;
}

/**
 * The lines of prose inside a table: non-empty lines without the table's separator that read
 * as a sentence, in a text whose lines are at least 70% rows of one separator. Rows of a
 * comma-separated table need at least half the usual number of commas (a sentence may have one).
 * Empty when the text is not a table, when it is a clean table, or when it has more than
 * `MAX_OFF_LINES` such lines.
 */
export function offShapeLines(text: string): string[] {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (lines.length < MIN_ROWS) return [];
  let found: string[] | undefined;
  for (const delimiter of DELIMITERS) {
    if (!text.includes(delimiter)) continue;
    const counts = lines.map((line) => occurrences(line, delimiter));
    const median = [...counts].sort((a, b) => a - b)[Math.floor(counts.length / 2)] as number;
    if (median < 1) continue;
    const needed = delimiter === ',' ? Math.max(1, Math.ceil(median / 2)) : 1;
    const rows = counts.filter((count) => count >= needed).length;
    if (rows < MIN_ROWS || rows < lines.length * ROW_SHARE) continue;
    const off = lines.filter((line, i) => (counts[i] as number) < needed && THREE_WORDS.test(line));
    // A clean table under one separator has no prose inside it, whatever another separator says.
    if (off.length === 0) return [];
    if (found === undefined || off.length < found.length) found = off;
  }
  return found !== undefined && found.length <= MAX_OFF_LINES ? found : [];
}

/**
 * Whether a piece of the document holds (enough of) one of its off-shape lines: the whole line,
 * its first or last `PROBE_CHARS` characters (a piece cut across it), or the piece lies inside it.
 */
export function holdsOffShapeLine(piece: string, offLines: readonly string[]): boolean {
  const inner = piece.trim();
  for (const line of offLines) {
    if (piece.includes(line)) return true;
    if (line.length > PROBE_CHARS && (piece.includes(line.slice(0, PROBE_CHARS)) || piece.includes(line.slice(-PROBE_CHARS)))) return true;
    if (inner.length >= PROBE_CHARS && line.includes(inner)) return true;
  }
  return false;
}
