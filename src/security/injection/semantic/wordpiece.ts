// The tokenizer of the sentence encoder (all-MiniLM-L6-v2: BERT's uncased WordPiece, 30,522
// tokens in vocab.txt beside this file). Written out here rather than taken from a tokenizer
// library so the detector has no second native dependency; it follows Hugging Face's
// BertNormalizer, BertPreTokenizer and WordPiece step by step, and a test checks its ids against
// ids made by that library.
import { readFileSync } from 'node:fs';

export const CLS_ID = 101;
export const SEP_ID = 102;
const UNK = '[UNK]';
/** The special tokens are matched in the raw text before normalization, as the library does. */
const SPECIAL = /(\[(?:PAD|UNK|CLS|SEP|MASK)\])/;
const MAX_WORD_CHARS = 100;

// Rust's char::is_whitespace (Unicode White_Space); JavaScript's \s differs (U+FEFF in, U+0085 out).
const WHITESPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const OTHER = /\p{C}/u;
const MARK_NONSPACING = /\p{Mn}/gu;
const PUNCTUATION = /[!-/:-@[-`{-~]|\p{P}/u;

function isChinese(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** BertNormalizer: drop controls, whitespace to spaces, space around CJK, strip accents, lower-case. */
export function normalizeForBert(text: string): string {
  let cleaned = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    // Controls go first: U+000B, U+000C and U+0085 are whitespace but also controls, so dropped.
    if (cp === 0 || cp === 0xfffd || (OTHER.test(ch) && ch !== '\t' && ch !== '\n' && ch !== '\r')) continue;
    else if (WHITESPACE.test(ch)) cleaned += ' ';
    else if (isChinese(cp)) cleaned += ` ${ch} `;
    else cleaned += ch;
  }
  let lowered = '';
  // Character by character, as Rust's char::to_lowercase does: no final-sigma rule.
  for (const ch of cleaned.normalize('NFD').replace(MARK_NONSPACING, '')) lowered += ch.toLowerCase();
  return lowered;
}

/** BertPreTokenizer: split on whitespace, and every punctuation character is a word of its own. */
export function preTokenize(normalized: string): string[] {
  const words: string[] = [];
  let current = '';
  for (const ch of normalized) {
    if (WHITESPACE.test(ch)) {
      if (current) words.push(current);
      current = '';
    } else if (PUNCTUATION.test(ch)) {
      if (current) words.push(current);
      words.push(ch);
      current = '';
    } else current += ch;
  }
  if (current) words.push(current);
  return words;
}

export interface WordPieceTokenizer {
  /** Token ids with [CLS] first and [SEP] last, at most `maxTokens` in all. */
  encode(text: string, maxTokens: number): number[];
}

export function loadVocabulary(path = new URL('./vocab.txt', import.meta.url)): Map<string, number> {
  const vocab = new Map<string, number>();
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((token, id) => {
      if (token) vocab.set(token, id);
    });
  return vocab;
}

export function createWordPieceTokenizer(vocab: ReadonlyMap<string, number> = loadVocabulary()): WordPieceTokenizer {
  const unk = vocab.get(UNK)!;
  const pieces = (word: string, out: number[]): void => {
    const chars = [...word];
    if (chars.length > MAX_WORD_CHARS) {
      out.push(unk);
      return;
    }
    const ids: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        const piece = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
        found = vocab.get(piece);
        if (found !== undefined) break;
        end -= 1;
      }
      if (found === undefined) {
        out.push(unk);
        return;
      }
      ids.push(found);
      start = end;
    }
    out.push(...ids);
  };
  return {
    encode(text, maxTokens) {
      const ids: number[] = [CLS_ID];
      const limit = maxTokens - 1;
      for (const part of text.split(SPECIAL)) {
        const special = SPECIAL.test(part) ? vocab.get(part) : undefined;
        if (special !== undefined) {
          if (ids.length < limit) ids.push(special);
          continue;
        }
        for (const word of preTokenize(normalizeForBert(part))) {
          if (ids.length >= limit) break;
          pieces(word, ids);
        }
      }
      ids.length = Math.min(ids.length, limit);
      ids.push(SEP_ID);
      return ids;
    },
  };
}
