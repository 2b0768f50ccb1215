import { describe, expect, it } from 'vitest';
import { isolatedPieces, isolatedString, withoutBidiControls } from '../../web/src/bidi.js';

const RLO = '\u202e';
const PDI = '\u2069';
const quoted = (v: Record<string, string>) => `“${v.text}”`;

describe('user-written text in the wallet screens', () => {
  it('is split out of the UI line around it, to be shown in a <bdi> of its own', () => {
    expect(isolatedPieces(quoted, { text: `${RLO}yap ot enoyna` })).toEqual([
      { text: '“', user: false },
      { text: 'yap ot enoyna', user: true },
      { text: '”', user: false },
    ]);
    expect(isolatedPieces((v) => `${v.who} asks you to pay`, { who: 'Bob' })).toEqual([
      { text: 'Bob', user: true },
      { text: ' asks you to pay', user: false },
    ]);
    expect(isolatedPieces((v) => `${v.a} → ${v.b}`, { a: 'x', b: 'y' }).map((p) => p.text)).toEqual(['x', ' → ', 'y']);
  });

  it('keeps a value that looks like a marker as text', () => {
    expect(isolatedPieces((v) => `to ${v.who}`, { who: '\u00000\u0000' })).toEqual([
      { text: 'to ', user: false },
      { text: '\u00000\u0000', user: true },
    ]);
  });

  it('loses its bidi embeddings, overrides and isolates, which could reorder or escape the isolate', () => {
    expect(withoutBidiControls(`a${RLO}b\u202a\u202b\u202c\u202d\u2066\u2067\u2068${PDI}c`)).toBe('abc');
    // marks that only set a direction stay: they cannot reach outside an isolate
    expect(withoutBidiControls('a\u200fb\u200e')).toBe('a\u200fb\u200e');
  });

  it('is wrapped in FSI … PDI in a plain string (a toast)', () => {
    expect(isolatedString(`Bob${PDI}${RLO}`)).toBe('\u2068Bob\u2069');
  });
});
