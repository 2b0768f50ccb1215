import { describe, expect, it } from 'vitest';
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
});
