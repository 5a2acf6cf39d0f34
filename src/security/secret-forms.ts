// The spellings of one secret value that the redactor looks for: the value itself, reversed and
// rot13'd; URL-encoded and JSON-escaped; hex; and the base64, base64url and base32 forms at
// every byte alignment, so the secret is found also when it was encoded as part of a longer text
// (`echo "KEY=$SECRET" | base64`). Upper/lower case is handled by the redactor, which compares
// ASCII letters case-insensitively. Each encoded form keeps only the characters that depend on
// the secret's bytes alone; the partial characters at either end (which depend on neighbouring
// bytes or padding) are dropped.
// Never returns a form shorter than the caller's minimum: those would redact ordinary text.

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The characters of an encoding (bitsPerChar bits each) that depend only on `bytes`, for each
 * of the `alignments` offsets (bytes before the secret within the encoded text).
 */
function alignedCores(bytes: Buffer, alignments: number, bitsPerChar: number, encode: (b: Buffer) => string): string[] {
  const cores: string[] = [];
  for (let pad = 0; pad < alignments; pad++) {
    const encoded = encode(Buffer.concat([Buffer.alloc(pad), bytes]));
    const start = Math.ceil((pad * 8) / bitsPerChar);
    const end = Math.floor(((pad + bytes.length) * 8) / bitsPerChar);
    if (end > start) cores.push(encoded.slice(start, end));
  }
  return cores;
}

const rot13 = (s: string): string =>
  s.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });

/** Every form of `value` worth searching for, at least `minLength` characters each. */
export function secretForms(value: string, minLength: number): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out = new Set<string>();
  const reversed = [...value].reverse().join('');
  for (const text of [value, reversed, rot13(value)]) {
    out.add(text);
    out.add(encodeURIComponent(text));
    // HTML forms encode a space as "+".
    out.add(encodeURIComponent(text).replace(/%20/g, '+'));
    // As it appears inside a JSON string (log lines are JSON): quotes, backslashes, controls escaped.
    out.add(JSON.stringify(text).slice(1, -1));
  }
  out.add(bytes.toString('hex'));
  // The whole encoding of the value on its own (with its last, partial character) is preferred
  // when present: the longest match wins.
  out.add(bytes.toString('base64').replace(/=+$/, ''));
  out.add(bytes.toString('base64url'));
  out.add(base32(bytes));
  for (const core of alignedCores(bytes, 3, 6, (b) => b.toString('base64'))) {
    out.add(core);
    out.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  for (const core of alignedCores(bytes, 5, 5, base32)) out.add(core);
  return [...out].filter((f) => f.length >= minLength);
}
