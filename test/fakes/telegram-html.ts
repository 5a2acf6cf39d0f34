// The Bot API's `parse_mode: "HTML"` for the Telegram stand-in: turns marked-up text into the
// plain text a user sees plus its entities, and refuses what the real server refuses (an
// unsupported or unclosed tag, a stray `<`) with the real "can't parse entities" texts. This
// is how tests notice text that was not escaped. It never accepts markup the real API refuses.

export interface WireEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  user?: unknown;
}

export type ParsedText = { ok: true; text: string; entities: WireEntity[] } | { ok: false; error: string };

const TAG_TYPES: Record<string, string> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  'tg-spoiler': 'spoiler',
  span: 'spoiler',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
};

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

function byteOffset(source: string, index: number): number {
  return Buffer.byteLength(source.slice(0, index), 'utf8');
}

function decodeEntity(source: string, at: number): { text: string; next: number } | undefined {
  const semi = source.indexOf(';', at);
  if (semi < 0 || semi - at > 10) return undefined;
  const name = source.slice(at + 1, semi);
  const numeric = /^#(x[0-9a-f]+|[0-9]+)$/i.exec(name);
  if (numeric) {
    const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    if (code > 0x10ffff) return undefined;
    return { text: String.fromCodePoint(code), next: semi + 1 };
  }
  const named = NAMED_ENTITIES[name];
  return named === undefined ? undefined : { text: named, next: semi + 1 };
}

/** Parses `text` as the Bot API's HTML style. */
export function parseHtml(source: string): ParsedText {
  let text = '';
  const entities: WireEntity[] = [];
  const open: Array<{ tag: string; start: number; attrs: Record<string, string> }> = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '&') {
      const decoded = decodeEntity(source, i);
      if (decoded) {
        text += decoded.text;
        i = decoded.next;
      } else {
        text += ch;
        i += 1;
      }
      continue;
    }
    if (ch !== '<') {
      text += ch;
      i += 1;
      continue;
    }
    const close = source.indexOf('>', i);
    if (close < 0) return { ok: false, error: `Bad Request: can't parse entities: Unclosed start tag at byte offset ${byteOffset(source, i)}` };
    const inner = source.slice(i + 1, close);
    if (inner.startsWith('/')) {
      const name = inner.slice(1).trim().toLowerCase();
      const top = open.pop();
      if (!top) return { ok: false, error: `Bad Request: can't parse entities: Unexpected end tag at byte offset ${byteOffset(source, i)}` };
      if (name !== '' && name !== top.tag) {
        return { ok: false, error: `Bad Request: can't parse entities: Unmatched end tag at byte offset ${byteOffset(source, i)}, expected "</${top.tag}>", found "</${name}>"` };
      }
      const length = text.length - top.start;
      if (length > 0) {
        const type = TAG_TYPES[top.tag]!;
        const entity: WireEntity = { type, offset: top.start, length };
        if (top.tag === 'a') entity.url = top.attrs.href ?? '';
        entities.push(entity);
      }
      i = close + 1;
      continue;
    }
    const match = /^([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+\s*=\s*"[^"]*")*)\s*$/.exec(inner);
    if (!match) {
      return { ok: false, error: `Bad Request: can't parse entities: Unexpected end of name token at byte offset ${byteOffset(source, i + 1)}` };
    }
    const tag = match[1]!.toLowerCase();
    if (!(tag in TAG_TYPES)) {
      return { ok: false, error: `Bad Request: can't parse entities: Unsupported start tag "${tag}" at byte offset ${byteOffset(source, i)}` };
    }
    const attrs: Record<string, string> = {};
    for (const a of (match[2] ?? '').matchAll(/([a-zA-Z-]+)\s*=\s*"([^"]*)"/g)) attrs[a[1]!.toLowerCase()] = a[2]!;
    open.push({ tag, start: text.length, attrs });
    i = close + 1;
  }
  const unclosed = open.pop();
  if (unclosed) return { ok: false, error: `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${unclosed.tag}"` };
  entities.sort((a, b) => a.offset - b.offset);
  return { ok: true, text, entities };
}

/** Entities a Telegram client attaches to typed text: /commands and @mentions. */
export function detectEntities(text: string): WireEntity[] {
  const out: WireEntity[] = [];
  for (const m of text.matchAll(/(^|\s)(\/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?)/g)) {
    out.push({ type: 'bot_command', offset: m.index + m[1]!.length, length: m[2]!.length });
  }
  for (const m of text.matchAll(/(^|[^a-zA-Z0-9_/])(@[a-zA-Z0-9_]{3,32})/g)) {
    out.push({ type: 'mention', offset: m.index + m[1]!.length, length: m[2]!.length });
  }
  return out.sort((a, b) => a.offset - b.offset);
}
