import { describe, expect, it } from 'vitest';
import { cleanText } from '../platform/http/http.text.js';
import { cleanTokens, clipText, StreamedReply } from './chat.reply.js';

describe('cleanTokens', () => {
  it('drops controls from each piece, keeps a surrogate pair split across pieces, and skips pieces left empty', () => {
    const sent: string[] = [];
    const push = cleanTokens((t) => sent.push(t));
    for (const piece of ['a\u0000b\u202e', '\u200e', 'x\uD83D', '\uDE00y', '\uDE00z']) push(piece);
    expect(sent).toEqual(['ab', 'x', '\u{1F600}y', 'z']);
  });

  it('writes line and paragraph separators as newlines and drops tag characters and the Arabic letter mark', () => {
    const sent: string[] = [];
    const push = cleanTokens((t) => sent.push(t));
    for (const piece of ['one\u2028two\u2029', 'a\u{E0041}\u061Cb']) push(piece);
    expect(sent).toEqual(['one\ntwo\n', 'ab']);
  });

  it('removes terminal colour codes and links whole, even split across pieces, and writes CR LF and NEXT LINE as one newline', () => {
    const sent: string[] = [];
    const push = cleanTokens((t) => sent.push(t));
    for (const piece of ['\u001B[3', '1mred\u001B[0m and \u001B]8;;https://example.com', '\u0007link\u001B]8;;\u0007 a\r', '\nb\u0085c']) push(piece);
    expect(sent.join('')).toBe('red and link a\nb\nc');
    expect(cleanText('\u001B[1;31mbold red\u001B[0m\r\n\u009B2Jx')).toBe('bold red\nx');
  });

  it('streams, however the reply is cut into pieces, what cleaning the whole reply stores', () => {
    const reply = 'Hi \u001B[32m\u{1F600}\u001B[0m!\r\n\u001B]8;;https://a.b/c?d=1\u0007x\u001B]8;;\u0007\r\u0000y\u202E\u{E0041}z\u0085\u001Bé stray escape';
    const expected = cleanText(reply);
    for (let size = 1; size <= 7; size++) {
      const sent: string[] = [];
      const push = cleanTokens((t) => sent.push(t));
      for (let i = 0; i < reply.length; i += size) push(reply.slice(i, i + size));
      expect(sent.join(''), `pieces of ${size}`).toBe(expected);
    }
    expect(expected).toBe('Hi \u{1F600}!\nx\nyz\né stray escape');
  });

  it('streams what is stored when an escape sequence sits between the halves of a surrogate pair or ends in one', () => {
    for (const reply of ['a\uD83D\u001B[31m\uDE00b', '\u001B]8;;https://a.b/\uD83D\uDE00\u0007c', '\u001Bb\uD83D\uD83D\u001B[31m\uDE00a', '\u001B\uD800[31m']) {
      for (let size = 1; size <= 7; size++) {
        const sent: string[] = [];
        const push = cleanTokens((t) => sent.push(t));
        for (let i = 0; i < reply.length; i += size) push(reply.slice(i, i + size));
        expect(sent.join(''), `${JSON.stringify(reply)} in pieces of ${size}`).toBe(cleanText(reply));
      }
    }
    // halves parted by a sequence are not a pair: both are dropped, as any lone half is
    expect(cleanText('a\uD83D\u001B[31m\uDE00b')).toBe('ab');
    expect(cleanText('\u001B]8;;https://a.b/\uD83D\uDE00\u0007c')).toBe('c');
  });
});

const codePoints = (s: string) => [...s].length;

describe('clipText', () => {
  it('trims, counts code points (as char_length does, not UTF-16 units) and never cuts a character in two', () => {
    expect(clipText('  short \n', 10)).toBe('short');
    expect(clipText('\u{1F43E}'.repeat(10), 10)).toBe('\u{1F43E}'.repeat(10));
    expect(clipText('\u{1F43E}'.repeat(11), 10)).toBe('\u{1F43E}'.repeat(10));
    // a flag is two code points, a family of three five, é written e + U+0301 two: the one crossing the limit is left out whole
    expect(clipText('abcdefghi\u{1F1EB}\u{1F1F7}', 10)).toBe('abcdefghi');
    expect(clipText('abcdef\u{1F468}\u200D\u{1F469}\u200D\u{1F467}xyz', 10)).toBe('abcdef');
    expect(clipText('abcdefghie\u0301', 10)).toBe('abcdefghi');
    // and what is left is trimmed again
    expect(clipText('abcd   \u{1F1EB}\u{1F1F7}', 8)).toBe('abcd');
    expect(clipText('e' + '\u0301'.repeat(20), 10)).toBe('');
  });
});

/** A small deterministic generator, so a failure names the case that failed. */
function random(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

const ALPHABET = [
  'a', 'b', ' ', '  ', '\t', '\n', '\u3000', '\u0301', '\u200D', '\u{1F43E}', '\u{1F1EB}\u{1F1F7}', '\u{1F1EB}',
  '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}', '\u0915\u094D\u0937', '\r\n', '\r', '\u0085', '\u2028', '\u001B[31m', '\u001B[0m',
  '\u001B]8;;https://example.com/a\u0007', '\u001B', '\u009B2J', '\u0000', '\u202E', '\u{E0041}', '\u0600', '\uD83D', '\uDE00', '\u00A0',
];

/** Streams `text` in pieces of `size` UTF-16 units (cutting pairs, escapes and line ends anywhere) until push() says stop. */
function stream(text: string, size: number, limit: number, maxRead?: number) {
  const sent: string[] = [];
  const reply = new StreamedReply((t) => sent.push(t), limit, maxRead);
  let read = 0;
  const prefixes: string[] = [];
  while (read < text.length) {
    const more = reply.push(text.slice(read, read + size));
    read += size;
    prefixes.push(sent.join(''));
    if (!more) break;
  }
  const final = reply.finish();
  return { sent, final, prefixes, read: Math.min(read, text.length) };
}

describe('StreamedReply', () => {
  it('streams exactly what it stores: the cleaned reply, trimmed and cut at the limit, however it is cut into pieces', () => {
    const next = random(42);
    for (let n = 0; n < 3000; n++) {
      const length = 1 + Math.floor(next() * 40);
      const text = Array.from({ length }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join('');
      const limit = 1 + Math.floor(next() * 24);
      const size = 1 + Math.floor(next() * 9);
      const expected = clipText(cleanText(text), limit);
      const { sent, final, prefixes } = stream(text, size, limit, Infinity);
      const label = `case ${n}: ${JSON.stringify(text)} limit ${limit} pieces of ${size}`;
      expect(final, label).toBe(expected);
      expect(sent.join(''), label).toBe(final);
      expect(codePoints(final), label).toBeLessThanOrEqual(limit);
      for (const prefix of prefixes) expect(final.startsWith(prefix), label).toBe(true);
      expect(sent.every(Boolean), label).toBe(true);
    }
  });

  it('says stop as soon as the limit is reached, whatever would follow', () => {
    const piece = 'Purr \u{1F43E} ';
    const { final, sent, read } = stream(piece.repeat(25_000), 8, 2000);
    expect(final).toBe([...piece.repeat(300)].slice(0, 2000).join('').trimEnd());
    expect(sent.join('')).toBe(final);
    expect(read).toBeLessThan(2400);
    // a cut that lands inside a held-back escape sequence, a surrogate pair and a character
    for (const [text, limit, expected] of [
      ['abc\u001B[3', 3, 'abc'],
      ['ab\u001B]8;;https://example.com\u0007cd', 3, 'abc'],
      ['ab\u{1F43E}cd', 3, 'ab\u{1F43E}'],
      ['ab\u{1F43E}cd', 2, 'ab'],
      ['abe\u0301\u0301x', 3, 'ab'],
      ['ab\u{1F1EB}\u{1F1F7}\u{1F1EB}\u{1F1F7}', 5, 'ab\u{1F1EB}\u{1F1F7}'],
    ] as const) {
      for (let size = 1; size <= text.length; size++) {
        const out = stream(`${text}${'z'.repeat(100)}`, size, limit);
        expect(out.final, `${JSON.stringify(text)} in pieces of ${size}`).toBe(expected);
        expect(out.sent.join('')).toBe(expected);
        // read on only until one more visible character (a complete escape sequence is not one) settles the cut
        expect(out.read).toBeLessThanOrEqual(text.length + 2 * size);
      }
    }
  });

  it('holds back trailing spaces and the last character until what follows settles them, and drops leading spaces', () => {
    const sent: string[] = [];
    const reply = new StreamedReply((t) => sent.push(t), 100);
    for (const piece of ['  \n Hel', 'lo ', ' there', 'e\u0301', '\u0301  \n']) reply.push(piece);
    expect(sent).toEqual(['He', 'llo', '  ther', 'e', 'e\u0301\u0301']);
    expect(reply.finish()).toBe('Hello  theree\u0301\u0301');
    expect(sent.join('')).toBe('Hello  theree\u0301\u0301');
  });

  it('stops reading a source that sends only what cleaning removes, once it has read 32 times the limit', () => {
    const reply = new StreamedReply(() => undefined, 10);
    let pieces = 0;
    while (reply.push('\u0000\u202E\u001B[0m') && pieces < 1000) pieces++;
    expect(pieces).toBe(Math.ceil(320 / 6) - 1);
    expect(reply.finish()).toBe('');
  });

  it('takes from the whole text what a source did not push', () => {
    const sent: string[] = [];
    const reply = new StreamedReply((t) => sent.push(t), 5);
    reply.push(' ab');
    expect(reply.finish(' abcdefgh')).toBe('abcde');
    expect(sent.join('')).toBe('abcde');
  });
});
