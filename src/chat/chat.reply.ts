import { cleanText, openEscapeStart } from '../platform/http/http.text.js';
import type { Locale } from '../platform/i18n/i18n.service.js';
import type { PetView } from '../pets/pets.service.js';
import { personaReply, tokenize, type PersonaTurn } from './chat.persona.js';

/** What a reply is written from: the pet now, the owner's language, the message and the recent conversation. */
export interface ReplyContext {
  pet: PetView;
  locale: Locale;
  content: string;
  /** Earlier messages, oldest first, not including `content`. */
  history: PersonaTurn[];
  now?: Date;
}

/**
 * Writes the pet's reply, handing each piece to onToken as it is produced; resolves with the whole text.
 * onToken answers false once the reply is complete (it reached its size limit): the provider then stops
 * reading (a remote one hangs up) and resolves with the text it has.
 */
export interface ReplyProvider {
  readonly name: string;
  generate(ctx: ReplyContext, onToken: (token: string) => boolean | void, signal: AbortSignal): Promise<string>;
}

/** The built-in persona engine as a provider (no network; streams its reply word by word). */
export class PersonaProvider implements ReplyProvider {
  readonly name = 'persona';

  async generate(ctx: ReplyContext, onToken: (token: string) => void): Promise<string> {
    const text = personaReply(ctx);
    for (const token of tokenize(text)) onToken(token);
    return text;
  }
}

/**
 * Where a piece's tail must wait for the next piece to be cleaned as the whole reply is: a high
 * surrogate whose pair may follow, a \r whose \n may follow, or a terminal escape sequence not yet
 * complete. The piece's length when nothing waits.
 */
function heldFrom(text: string): number {
  const last = text.charCodeAt(text.length - 1);
  const tail = (last >= 0xd800 && last <= 0xdbff) || last === 0x0d ? text.length - 1 : text.length;
  // an open sequence (an OSC link) may itself end in a high surrogate or \r: it waits from its start
  const escape = openEscapeStart(text);
  return escape < 0 ? tail : Math.min(escape, tail);
}

/** Cleans pieces of one text as cleanText cleans the whole: what may join the next piece is held back for it (heldFrom). */
function cleaner() {
  let held = '';
  return {
    /** The piece cleaned, less what waits for the next one. */
    push(token: string): string {
      const text = held + token;
      const cut = heldFrom(text);
      held = text.slice(cut);
      return cleanText(text.slice(0, cut));
    },
    /** What was held back, cleaned: the text ended there. */
    flush(): string {
      const rest = cleanText(held);
      held = '';
      return rest;
    },
  };
}

/**
 * onToken for a reply streamed from elsewhere: each piece passed on cleaned (cleanText), what may join
 * the next piece (heldFrom) held back for it, and pieces left empty dropped; so what the client is sent
 * joins up to cleanText of the whole reply.
 */
export function cleanTokens(onToken: (token: string) => void): (token: string) => void {
  const clean = cleaner();
  return (token) => {
    const text = clean.push(token);
    if (text) onToken(text);
  };
}

const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' });
const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};
/** Whitespace as String.prototype.trim sees it. */
const SPACE_AT_END = /\s$/;
const NOT_SPACE = /\S/;

/**
 * Text trimmed and cut to at most `limit` code points (what PostgreSQL's char_length counts), the cut
 * at the start of the character (grapheme cluster) that would cross the limit, so no emoji, flag or
 * letter with its accents is split, and the text left trimmed again. Empty when even the first
 * character is longer than the limit.
 */
export function clipText(text: string, limit: number): string {
  const trimmed = text.trim();
  if (trimmed.length <= limit || codePoints(trimmed) <= limit) return trimmed;
  let count = 0;
  for (const { segment, index } of GRAPHEMES.segment(trimmed)) {
    count += codePoints(segment);
    if (count > limit) return trimmed.slice(0, index).trimEnd();
  }
  return trimmed;
}

/**
 * A reply streamed from elsewhere (a model), made while it streams into exactly what is stored: each
 * piece cleaned (cleanText, what may join the next piece held back), the whole trimmed and cut at
 * `limit` code points as clipText cuts, and only text that no later piece can change handed to onToken
 * (a trailing space may be trimmed, the last character may still grow). So the pieces sent always join
 * up to a beginning of finish()'s text, and finish() sends the rest: the client is streamed what is stored.
 *
 * push() answers false once nothing more can change the reply (the limit is reached, or `maxRead`
 * UTF-16 units were read: a source that sends only what cleaning removes), so the source can stop.
 */
export class StreamedReply {
  private readonly clean = cleaner();
  /** Sent to onToken so far: whole characters, not ending in a space. */
  private sent = '';
  private sentCodePoints = 0;
  /** Cleaned text after `sent`, starting at a character boundary; leading spaces of the reply dropped. */
  private pending = '';
  private read = 0;
  /** The stored text, once known. */
  private final: string | null = null;

  constructor(
    private readonly onToken: (token: string) => void,
    private readonly limit: number,
    private readonly maxRead = limit * 32,
  ) {}

  /** Takes the next piece as the source wrote it; false when the source should stop (nothing more can change the reply). */
  push(piece: string): boolean {
    if (this.final !== null || this.read >= this.maxRead) return false;
    this.read += piece.length;
    let text = this.clean.push(piece);
    if (!this.sent && !this.pending) text = text.trimStart();
    if (text) {
      this.pending += text;
      this.advance();
    }
    return this.final === null && this.read < this.maxRead;
  }

  /**
   * The reply to store (the source ended, or was told to stop), its last text sent first. `whole` is the
   * text the source resolved with: what it did not push (a source that does not stream) is taken from it.
   */
  finish(whole = ''): string {
    if (this.final === null && this.read < whole.length && this.read < this.maxRead) this.push(whole.slice(this.read));
    if (this.final === null) {
      // nothing follows: the held-back end is cleaned as it is, and the last character is whole
      this.final = clipText(this.sent + this.pending + this.clean.flush(), this.limit);
      this.send(this.final.slice(this.sent.length));
    }
    return this.final;
  }

  /** Sends what is settled of `pending`; settles the reply once the limit is crossed. */
  private advance(): void {
    let count = this.sentCodePoints;
    let settled = 0;
    let settledCount = count;
    let previous: { segment: string; index: number } | null = null;
    for (const grapheme of GRAPHEMES.segment(this.pending)) {
      // every character but the last is whole: the next one's first code point has arrived
      if (previous && !SPACE_AT_END.test(previous.segment)) {
        settled = grapheme.index;
        settledCount = count;
      }
      const start = count;
      count += codePoints(grapheme.segment);
      if (count > this.limit) {
        if (this.cutAt(grapheme.index, start)) return;
        break;
      }
      previous = grapheme;
    }
    if (settled) {
      this.send(this.pending.slice(0, settled));
      this.pending = this.pending.slice(settled);
      this.sentCodePoints = settledCount;
    }
  }

  /**
   * The character at `index` of pending (code point `start` of the reply) crosses the limit: the reply
   * ends before it, trimmed, whatever follows; unless only spaces are left from the limit on after a
   * character holding more than spaces (a prepended mark joined to a space), which more text decides.
   */
  private cutAt(index: number, start: number): boolean {
    const rest = this.pending.slice(index);
    const before = [...rest].slice(0, this.limit - start).join('');
    if (NOT_SPACE.test(before) && !NOT_SPACE.test(rest.slice(before.length))) return false;
    this.final = (this.sent + this.pending.slice(0, index)).trimEnd();
    this.send(this.final.slice(this.sent.length));
    return true;
  }

  private send(text: string): void {
    if (!text) return;
    this.sent += text;
    this.onToken(text);
  }
}
