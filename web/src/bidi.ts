/**
 * Explicit bidirectional formatting characters: embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and
 * isolates (LRI, RLI, FSI, PDI). An override left open in a memo ("\u202Eevil") turned the UI text after
 * it around; a stray PDI would close the isolate the page puts around the memo. The server refuses them
 * in new memos, but older rows hold them.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

/** User-written text (a memo, a name, a basename) without explicit bidi controls, to show isolated (<bdi>). */
export function withoutBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

/**
 * User-written text for a plain string (a toast): its bidi controls dropped and the rest wrapped in
 * FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE, so it cannot reorder the text around it.
 */
export function isolatedString(text: string): string {
  return `\u2068${withoutBidiControls(text)}\u2069`;
}

/** One piece of a translated line: UI text, or a user-written value to show isolated. */
export interface Piece {
  text: string;
  user: boolean;
}

const MARK = '\u0000';

/**
 * A translated line whose values are user-written ("to {{who}}", "“{{text}}”"), as pieces, so each value
 * can be shown in its own <bdi>: `translate` gets markers for the values and the line is split at them.
 */
export function isolatedPieces(translate: (values: Record<string, string>) => string, values: Record<string, string>): Piece[] {
  const names = Object.keys(values);
  const line = translate(Object.fromEntries(names.map((name, i) => [name, `${MARK}${i}${MARK}`])));
  return line
    .split(new RegExp(`${MARK}(\\d+)${MARK}`))
    .map((part, i) => (i % 2 ? { text: withoutBidiControls(values[names[Number(part)]] ?? ''), user: true } : { text: part.replaceAll(MARK, ''), user: false }))
    .filter((piece) => piece.user || piece.text !== '');
}
