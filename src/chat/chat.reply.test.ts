import { describe, expect, it } from 'vitest';
import { cleanText } from '../platform/http/http.text.js';
import { cleanTokens } from './chat.reply.js';

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
