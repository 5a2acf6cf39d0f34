// Streaming for grammar-constrained replies: the model writes {"answer": "..."} token by token,
// and the person watching should see the answer's text as it comes, not JSON. This decoder is
// fed the raw chunks and emits only the decoded characters of the answer string (escapes
// resolved, a \u escape or surrogate pair split across chunks held until complete). A reply
// that turns out to be a tool call emits nothing.

const PREFIX = /^\s*\{\s*"answer"\s*:\s*"/;
const ANSWER_OPENING = '{"answer":"';
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

export function createAnswerStream(emit: (text: string) => void): (chunk: string) => void {
  let buffer = '';
  let state: 'prefix' | 'answer' | 'done' = 'prefix';
  let position = 0;
  let pendingHigh = '';

  return (chunk: string) => {
    if (state === 'done') return;
    buffer += chunk;
    if (state === 'prefix') {
      const m = PREFIX.exec(buffer);
      if (!m) {
        // Too short to tell yet, or clearly something else (a tool call): then never emit.
        const compact = buffer.replace(/\s+/g, '');
        if (compact.length >= ANSWER_OPENING.length || !ANSWER_OPENING.startsWith(compact)) state = 'done';
        return;
      }
      state = 'answer';
      position = m[0].length;
    }
    let out = '';
    while (position < buffer.length) {
      const c = buffer[position]!;
      if (c === '"') {
        state = 'done';
        break;
      }
      if (c !== '\\') {
        out += c;
        position += 1;
        continue;
      }
      const next = buffer[position + 1];
      if (next === undefined) break; // the escape continues in the next chunk
      if (next !== 'u') {
        out += SIMPLE_ESCAPES[next] ?? next;
        position += 2;
        continue;
      }
      const hex = buffer.slice(position + 2, position + 6);
      if (hex.length < 4) break;
      const code = Number.parseInt(hex, 16);
      position += 6;
      const ch = String.fromCharCode(Number.isNaN(code) ? 0xfffd : code);
      if (code >= 0xd800 && code <= 0xdbff) {
        pendingHigh = ch;
        continue;
      }
      out += pendingHigh + ch;
      pendingHigh = '';
    }
    if (out) emit(out);
  };
}
