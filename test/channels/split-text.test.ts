// The reply splitter is pure: these cases pin what "never break words, code blocks or formatting"
// means, including the worst inputs (one giant word, surrogate pairs, a fence cut in two).
import { describe, expect, it } from 'vitest';
import { splitText } from '../../src/channel-host/split-text.js';

const words = (s: string) => s.split(/\s+/).filter(Boolean);
/** Every chunk's fences are balanced: an even number of fence lines. */
const balanced = (chunk: string) => chunk.split('\n').filter((l) => /^\s{0,3}```/.test(l)).length % 2 === 0;

describe('splitText', () => {
  it('keeps a short text whole', () => {
    expect(splitText('hello world', 100)).toEqual(['hello world']);
  });

  it('cuts between words, never inside one, and loses no word', () => {
    const text = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const chunks = splitText(text, 64);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(64);
    expect(chunks.flatMap(words)).toEqual(words(text));
  });

  it('prefers paragraph breaks and newlines over spaces', () => {
    const para = 'a'.repeat(20) + ' ' + 'b'.repeat(20);
    const text = `${para}\n\n${para}\n\n${para}`;
    expect(splitText(text, 50)).toEqual([para, para, para]);
  });

  it('closes a cut code block and reopens it with its language', () => {
    const code = Array.from({ length: 40 }, (_, i) => `  const x${i} = ${i};`).join('\n');
    const text = `Here:\n\n\`\`\`ts\n${code}\n\`\`\`\nDone.`;
    const chunks = splitText(text, 200);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(200);
      expect(balanced(c)).toBe(true);
    }
    expect(chunks[1]!.startsWith('```ts\n')).toBe(true);
    // Every code line survives intact, indentation included, in order.
    const lines = chunks.join('\n').split('\n').filter((l) => l.startsWith('  const'));
    expect(lines).toEqual(code.split('\n'));
  });

  it('does not cut inside inline code or a bold run', () => {
    const text = `${'x'.repeat(30)} \`a b c d e f g h\` **bold words here** ${'y'.repeat(30)}`;
    for (const limit of [40, 50, 60, 70]) {
      for (const c of splitText(text, limit)) {
        expect((c.match(/`/g) ?? []).length % 2).toBe(0);
        expect((c.match(/\*\*/g) ?? []).length % 2).toBe(0);
      }
    }
  });

  it('hard-cuts a single word longer than the limit without splitting a surrogate pair', () => {
    const text = '😀'.repeat(100);
    const chunks = splitText(text, 41);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(41);
      expect(c).not.toMatch(/[\ud800-\udbff]$/);
      expect(c).not.toMatch(/^[\udc00-\udfff]/);
    }
    expect(chunks.join('')).toBe(text);
  });

  it('refuses a limit too small to carry a reopened fence', () => {
    expect(() => splitText('x', 5)).toThrow(RangeError);
  });
});
