// Finds base64, hex and URL-encoded runs in text and decodes those that turn out to be
// readable text. Random hashes, keys and binary blobs decode to noise and are ignored, so
// ordinary code and logs do not produce signals.

export type EncodingKind = 'base64' | 'hex' | 'url';

export interface DecodedRun {
  readonly kind: EncodingKind;
  readonly text: string;
}

const BASE64_RUN = /[A-Za-z0-9+/_-]{16,}={0,2}/g;
const HEX_RUN = /(?:(?:\\x|0x)?[0-9a-fA-F]{2}[\s:,]?){8,}/g;
// Starts at a percent escape and stays bounded, so a long token without escapes cannot make it backtrack.
const URL_RUN = /(?:%[0-9a-fA-F]{2}[^\s%]{0,40}){3,}/g;
const MAX_RUNS = 16;
const MAX_DECODED_CHARS = 8_192;

/** Readable text: mostly printable, with letters and at least one space or word break. */
function looksLikeText(s: string): boolean {
  if (s.length < 6 || s.includes('\uFFFD')) return false;
  let printable = 0;
  let letters = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp === 9 || cp === 10 || cp === 13 || (cp >= 32 && cp !== 127)) printable += 1;
    if (/\p{L}/u.test(ch)) letters += 1;
  }
  const length = [...s].length;
  return printable / length >= 0.95 && letters / length >= 0.5 && /[\s.,:;!?]/.test(s);
}

/** Decoded text worth keeping: readable, or itself an encoded run (nested encodings). */
function worthKeeping(s: string): boolean {
  return looksLikeText(s) || /^[A-Za-z0-9+/_-]{16,}={0,2}$/.test(s.trim()) || /^(?:%[0-9a-fA-F]{2}){3,}/.test(s);
}

function decodeBase64(run: string): string | undefined {
  const body = run.replace(/=+$/, '');
  // Pure hex or pure letters are far more likely to be identifiers than base64.
  if (/^[0-9a-fA-F]+$/.test(body) || !/[0-9+/A-Z]/.test(body) || !/[a-z]/.test(body)) return undefined;
  const text = Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  return worthKeeping(text) ? text : undefined;
}

function decodeHex(run: string): string | undefined {
  const digits = run.replace(/\\x|0x|[\s:,]/g, '');
  if (digits.length % 2 !== 0) return undefined;
  const text = Buffer.from(digits, 'hex').toString('utf8');
  return worthKeeping(text) ? text : undefined;
}

function decodeUrl(run: string): string | undefined {
  try {
    const text = decodeURIComponent(run.replace(/\+/g, ' '));
    return looksLikeText(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Decodes readable encoded runs; bounded in count and size so hostile input cannot blow up. */
export function decodeEncodedRuns(text: string): DecodedRun[] {
  const runs: DecodedRun[] = [];
  let budget = MAX_DECODED_CHARS;
  const scan = (pattern: RegExp, kind: EncodingKind, decode: (run: string) => string | undefined): void => {
    for (const match of text.matchAll(pattern)) {
      if (runs.length >= MAX_RUNS || budget <= 0) return;
      const decoded = decode(match[0].trim());
      if (decoded === undefined) continue;
      const clipped = decoded.slice(0, budget);
      budget -= clipped.length;
      runs.push({ kind, text: clipped });
    }
  };
  scan(HEX_RUN, 'hex', decodeHex);
  scan(BASE64_RUN, 'base64', decodeBase64);
  scan(URL_RUN, 'url', decodeUrl);
  return runs;
}
