// Normalization runs before every rule and the classifier, so that an evasion (invisible
// characters, look-alike letters, encoded payloads, chat-template tokens) cannot hide words
// the later stages look for. It never throws on hostile input and never grows the text
// without bound: decoded payloads are capped.
import { foldHomoglyphs } from './homoglyphs.js';
import { decodeEncodedRuns, type EncodingKind } from './decode.js';

export type NormalizationSignal =
  | 'invisible-characters'
  | 'unicode-tag-smuggling'
  | 'homoglyphs'
  | 'chat-template-token'
  | `encoded-${EncodingKind}`;

export interface NormalizedText {
  /** The cleaned text (NFKC, invisible characters removed, homoglyphs folded, template tokens stripped). */
  readonly text: string;
  /** Plain text recovered from base64/hex/URL-encoded runs, normalized the same way. */
  readonly decoded: readonly string[];
  /** Which evasions were seen; each becomes a reason and a classifier feature. */
  readonly signals: readonly NormalizationSignal[];
}

// Zero-width characters, soft hyphen, word joiners, BOM, bidirectional controls, variation
// selectors and invisible fillers. The one list: untrusted-content.ts builds its regexes from it.
// eslint-disable-next-line no-misleading-character-class -- lists invisible and joining code points on purpose
export const INVISIBLE_CHARS = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]/;
// eslint-disable-next-line no-misleading-character-class -- same class, global
const INVISIBLE = new RegExp(INVISIBLE_CHARS.source, 'g');
// Unicode "tag" characters mirror ASCII invisibly (U+E0020..U+E007E); decode them rather than drop them.
const TAG_CHARS = /[\u{E0000}-\u{E007F}]+/gu;
// Chat-template control tokens of common model families. Matched after NFKC, case-insensitively.
const TEMPLATE_TOKENS = new RegExp(
  [
    String.raw`<\|[a-z0-9_]{1,32}\|>`, // <|im_start|>, <|im_end|>, <|eot_id|>, <|start_header_id|>, <|endoftext|>
    String.raw`\[\/?INST\]`,
    String.raw`<<\/?SYS>>`,
    String.raw`<\/?(?:start_of_turn|end_of_turn|bos|eos|s)>`,
    String.raw`<\/?(?:system|assistant|user)>`,
  ].join('|'),
  'gi',
);

const MAX_DECODE_DEPTH = 2;

function decodeTagCharacters(text: string): { text: string; found: boolean } {
  let found = false;
  const out = text.replace(TAG_CHARS, (run) => {
    found = true;
    let ascii = '';
    for (const ch of run) {
      const cp = ch.codePointAt(0) ?? 0;
      if (cp >= 0xe0020 && cp <= 0xe007e) ascii += String.fromCharCode(cp - 0xe0000);
    }
    return ascii;
  });
  return { text: out, found };
}

function cleanSurface(raw: string, signals: Set<NormalizationSignal>): string {
  const tags = decodeTagCharacters(raw);
  if (tags.found) signals.add('unicode-tag-smuggling');
  let text = tags.text.normalize('NFKC');
  const withoutInvisible = text.replace(INVISIBLE, '');
  if (withoutInvisible.length !== text.length) signals.add('invisible-characters');
  text = withoutInvisible;
  const folded = foldHomoglyphs(text);
  if (folded.folded > 0) signals.add('homoglyphs');
  text = folded.text;
  TEMPLATE_TOKENS.lastIndex = 0;
  if (TEMPLATE_TOKENS.test(text)) {
    signals.add('chat-template-token');
    TEMPLATE_TOKENS.lastIndex = 0;
    text = text.replace(TEMPLATE_TOKENS, ' ');
  }
  return text;
}

/** Normalizes text for scanning; see the file header for what each step defeats. */
export function normalizeText(raw: string): NormalizedText {
  const signals = new Set<NormalizationSignal>();
  const text = cleanSurface(raw, signals);
  const decoded: string[] = [];
  let frontier = [text];
  for (let depth = 0; depth < MAX_DECODE_DEPTH && frontier.length > 0; depth += 1) {
    const next: string[] = [];
    for (const source of frontier) {
      for (const run of decodeEncodedRuns(source)) {
        signals.add(`encoded-${run.kind}`);
        const clean = cleanSurface(run.text, signals);
        decoded.push(clean);
        next.push(clean);
      }
    }
    frontier = next;
  }
  return { text, decoded, signals: [...signals] };
}
