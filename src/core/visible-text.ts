// Makes untrusted text safe to put in front of a person: whatever a model, a tool, a platform
// user or a file name supplied must not be able to drive a terminal (clear the screen, move
// the cursor, retitle the window, hide a line) or make shown text differ from what it is
// (bidi overrides, zero-width and other invisible characters). Every such character becomes a
// visible, inert `\u{…}` escape, so an ESC-[-2-J arrives on screen as the nine characters
// `\u{1b}[2J`. This module only changes how text LOOKS; it must never be used on text that is
// then executed, stored or hashed (those keep the exact bytes).

export interface VisibleTextOptions {
  /**
   * Keep line feeds and tabs as they are (multi-line displays such as a chat reply). Default
   * false: they are escaped too, so the result is one line (log lines, table cells). A carriage
   * return is always escaped: it would let a later part of the line overwrite an earlier one.
   */
  multiline?: boolean;
}

// C0 controls (except LF and TAB, handled separately), DEL, C1 controls (U+0080–U+009F, which
// include the 8-bit CSI/OSC introducers), every format character (\p{Cf}: bidi embeddings,
// overrides and isolates, LRM/RLM/ALM, zero-width space/joiners, word joiner, invisible
// operators, BOM, interlinear annotation, language tags), line and paragraph separators, lone
// surrogates, and the blank "filler" letters that render as nothing (Hangul fillers, braille
// blank). Emoji joined with U+200D show the joiner too: for a security display that is the
// price of seeing every zero-width character.
const ALWAYS = String.raw`\u0000-\u0008\u000b-\u001f\u007f-\u009f\p{Cf}\p{Cs}\u2028\u2029\u115f\u1160\u3164\uffa0\u2800`;
const SINGLE_LINE = new RegExp(`[${ALWAYS}\\n\\t]`, 'gu');
const MULTI_LINE = new RegExp(`[${ALWAYS}]`, 'gu');

/** The escape shown in place of one invisible or controlling character. */
export function escapeCharacter(ch: string): string {
  return `\\u{${ch.codePointAt(0)!.toString(16)}}`;
}

/**
 * Returns `text` with every control character and every invisible formatting character
 * replaced by a visible `\u{…}` escape. Printable text (any script, emoji, spaces) is kept.
 * Non-strings are converted with String() first, so a value of unknown type can be passed.
 */
export function visibleText(text: unknown, options: VisibleTextOptions = {}): string {
  const value = typeof text === 'string' ? text : String(text);
  return value.replace(options.multiline ? MULTI_LINE : SINGLE_LINE, escapeCharacter);
}

/** True when visibleText would change the text (it holds something that is not plain to see). */
export function hasInvisibleCharacters(text: string, options: VisibleTextOptions = {}): boolean {
  const pattern = options.multiline ? MULTI_LINE : SINGLE_LINE;
  pattern.lastIndex = 0;
  const found = pattern.test(text);
  pattern.lastIndex = 0;
  return found;
}
