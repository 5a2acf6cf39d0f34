// Look-alike letters that attackers use to slip words such as "ignore" past keyword rules:
// Cyrillic and Greek letters that render like Latin ones. Fullwidth and mathematical
// alphanumerics are already folded by NFKC, so they are not listed here.
// Genuine Cyrillic or Greek prose must survive, so a word is folded only when it mixes scripts
// with Latin or consists solely of look-alike letters (see foldHomoglyphs).

const PAIRS: ReadonlyArray<readonly [string, string]> = [
  // Cyrillic lower case
  ['а', 'a'], ['е', 'e'], ['о', 'o'], ['р', 'p'], ['с', 'c'], ['у', 'y'], ['х', 'x'],
  ['і', 'i'], ['ј', 'j'], ['ѕ', 's'], ['ԁ', 'd'], ['һ', 'h'], ['ԛ', 'q'], ['ԝ', 'w'],
  ['ӏ', 'l'], ['ɡ', 'g'], ['ո', 'n'], ['ս', 'u'],
  // Cyrillic upper case
  ['А', 'A'], ['В', 'B'], ['Е', 'E'], ['К', 'K'], ['М', 'M'], ['Н', 'H'], ['О', 'O'],
  ['Р', 'P'], ['С', 'C'], ['Т', 'T'], ['Х', 'X'], ['І', 'I'], ['Ј', 'J'], ['Ѕ', 'S'],
  ['Ү', 'Y'], ['Ԛ', 'Q'], ['Ԝ', 'W'],
  // Greek
  ['α', 'a'], ['ο', 'o'], ['ν', 'v'], ['ρ', 'p'], ['ι', 'i'], ['κ', 'k'], ['υ', 'u'],
  ['Α', 'A'], ['Β', 'B'], ['Ε', 'E'], ['Ζ', 'Z'], ['Η', 'H'], ['Ι', 'I'], ['Κ', 'K'],
  ['Μ', 'M'], ['Ν', 'N'], ['Ο', 'O'], ['Ρ', 'P'], ['Τ', 'T'], ['Χ', 'X'], ['Υ', 'Y'],
];

const TO_LATIN: ReadonlyMap<string, string> = new Map(PAIRS);

const LATIN_LETTER = /[A-Za-z]/;
const LETTER = /\p{L}/u;
const WORD = /[\p{L}\p{M}]+/gu;

/**
 * Folds look-alike letters to Latin inside words that mix Latin with look-alikes, or that are
 * made only of look-alikes. Returns the folded text and how many characters changed.
 */
export function foldHomoglyphs(text: string): { text: string; folded: number } {
  let folded = 0;
  const out = text.replace(WORD, (word) => {
    let hasLatin = false;
    let lookAlikes = 0;
    let letters = 0;
    for (const ch of word) {
      if (!LETTER.test(ch)) continue;
      letters += 1;
      if (LATIN_LETTER.test(ch)) hasLatin = true;
      else if (TO_LATIN.has(ch)) lookAlikes += 1;
    }
    if (lookAlikes === 0) return word;
    // A short all-look-alike word ("а", "с") is ordinary Cyrillic; only fold it with a Latin neighbour.
    const allLookAlike = lookAlikes === letters && letters >= 3;
    if (!hasLatin && !allLookAlike) return word;
    folded += lookAlikes;
    let result = '';
    for (const ch of word) result += TO_LATIN.get(ch) ?? ch;
    return result;
  });
  return { text: out, folded };
}
