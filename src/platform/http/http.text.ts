/**
 * Text checks shared by every domain: what we store must be well-formed, printable Unicode (chat
 * messages, pet and account names), JSON bodies must be valid UTF-8, and no field may hold U+0000.
 */
import type { FastifyInstance } from 'fastify';
import { httpError } from './http.errors.js';

const MAX_DEPTH = 64;

/**
 * The first field whose name or value holds U+0000, or null; named as schema validation errors name
 * fields (body.memo, querystring.to, params.id), so a client reads one convention.
 */
function nulField(path: string, value: unknown, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return null;
  for (const [key, inner] of Object.entries(value)) {
    const field = `${path}.${key}`;
    if (key.includes('\u0000')) return field;
    const found = nulField(field, inner, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000, so a request carrying it anywhere (body, query, path)
 * is refused with 422 naming the field, before any route sees it, rather than failing at the database.
 */
export function registerNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const field = nulField('body', request.body) ?? nulField('querystring', request.query) ?? nulField('params', request.params);
    if (field) throw httpError('validation_failed', {}, [{ field, message: 'validation.no_nul', code: 'invalid_string' }]);
  });
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** C0/C1 controls, DEL, and bidi/format controls (U+061C ARABIC LETTER MARK among them), except newline and tab. */
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/;
/** Tag characters (invisible ASCII look-alikes), and the one place they belong: an emoji tag sequence (the flag of Scotland). */
const TAG = /[\u{E0000}-\u{E007F}]/u;
const EMOJI_TAG_SEQUENCES = /\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}/gu;
/** Windows (\r\n) and old Mac (\r) line ends, U+0085 NEXT LINE, U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR: line breaks, as \n is. */
const LINE_SEPARATORS = /\r\n?|[\u0085\u2028\u2029]/g;

/** No lone UTF-16 surrogates (what invalid UTF-8 or a bad \\u escape turns into). */
export function isWellFormedText(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** Control characters other than \n and \t, invisible direction marks and overrides, and tag characters outside an emoji tag sequence. */
export function hasForbiddenControls(s: string): boolean {
  return FORBIDDEN_CONTROL.test(s) || (TAG.test(s) && TAG.test(s.replace(EMOJI_TAG_SEQUENCES, '')));
}

/** \r\n, \r, U+0085, U+2028 and U+2029 written as \n: free text (a chat message) keeps its line breaks in the one form clients all show. */
export function normalizeLineBreaks(s: string): string {
  return s.replace(LINE_SEPARATORS, '\n');
}

const FORBIDDEN_CONTROLS = new RegExp(FORBIDDEN_CONTROL.source, 'g');
const TAGS = new RegExp(TAG.source, 'gu');

/** The longest control string (an OSC 8 link carries a URL) removed whole, or held back by openEscapeStart. */
const MAX_CONTROL_STRING = 256;
/**
 * Terminal escape sequences as ECMA-48 writes them: a CSI sequence (ESC [ or U+009B, parameters,
 * intermediates, one final byte), a control string (OSC, DCS, SOS, PM, APC up to BEL or ST), or
 * ESC with intermediates and a final byte (ESC 7, ESC ( B).
 */
const CSI = String.raw`(?:\[|)[0-?]*[ -/]*`;
const CONTROL_STRING = String.raw`(?:[\]PX^_]|[-])[^]{0,${MAX_CONTROL_STRING}}`;
const ESCAPE_SEQUENCES = new RegExp(String.raw`${CSI}[@-~]|${CONTROL_STRING}(?:|\|)|[ -/]*[0-~]`, 'g');
/**
 * Escape sequences and lone surrogates in one pass, both read in the text as it came: halves parted by a
 * sequence are not a pair once it is gone (a stream cleaned piece by piece could not pair them either).
 */
const ESCAPES_AND_LONE_SURROGATES = new RegExp(`${ESCAPE_SEQUENCES.source}|${LONE_SURROGATE.source}`, 'g');
/** The start of an escape sequence that more characters could still complete, at the end of a text. */
const OPEN_ESCAPE = new RegExp(String.raw`(?:${CSI}|${CONTROL_STRING}?|[ -/]*)$`);

/** Where the escape sequence that a text ends in begins while it is still incomplete (a stream cut it), or -1. */
export function openEscapeStart(s: string): number {
  return s.search(OPEN_ESCAPE);
}

/**
 * Text from elsewhere (a model's reply) made storable: line breaks written as \n (normalizeLineBreaks),
 * terminal escape sequences (ANSI colours, OSC links) and lone surrogates removed, then the other
 * forbidden controls and every tag character. The result passes isCleanText.
 */
export function cleanText(s: string): string {
  return normalizeLineBreaks(s).replace(ESCAPES_AND_LONE_SURROGATES, '').replace(FORBIDDEN_CONTROLS, '').replace(TAGS, '');
}

/**
 * Characters that show nothing on their own: controls, format characters (U+200B…), spaces, other
 * default-ignorables (the Hangul fillers U+115F, U+1160, U+3164, U+FFA0…), the Braille blank U+2800,
 * and combining marks (an accent with no letter to sit on).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{White_Space}\p{Default_Ignorable_Code_Point}\u2800\p{M}]/gu;

/** Something would be seen: text made only of invisible characters counts as empty. */
export function hasVisibleText(s: string): boolean {
  return s.replace(INVISIBLE, '').length > 0;
}

/** Line breaks (\n, U+2028, U+2029) and tabs are fine in a message, not in a name. */
export function isSingleLine(s: string): boolean {
  return !/[\n\t\u2028\u2029]/.test(s);
}

/** Well-formed Unicode without control characters other than \n and \t: what free text we store must be. */
export function isCleanText(s: string): boolean {
  return isWellFormedText(s) && !hasForbiddenControls(s);
}

/** What a name (of a pet, of a person) must be: clean text on one line. */
export function isPrintableLine(s: string): boolean {
  return isCleanText(s) && isSingleLine(s);
}

const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** User-perceived characters (extended grapheme clusters): "e" + U+0301 is one, a family emoji joined with ZWJs is one. */
export function graphemeLength(s: string): number {
  let n = 0;
  for (const _ of GRAPHEMES.segment(s)) n++;
  return n;
}

/**
 * Code points a name may spend per character it is allowed: the hard cap that keeps a name's size
 * bounded, counted as PostgreSQL's char_length counts (a family emoji is 7, a flag 2).
 */
export const NAME_CODE_POINTS_PER_CHARACTER = 10;

/** At most `max` user-perceived characters, and at most NAME_CODE_POINTS_PER_CHARACTER × max code points (a letter under 400 accents is one character). */
export function fitsLength(s: string, max: number): boolean {
  return graphemeLength(s) <= max && [...s].length <= max * NAME_CODE_POINTS_PER_CHARACTER;
}

/** The message of a name that is not a printable line. */
export const PRINTABLE_LINE_MESSAGE = 'validation.printable_line';

function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Makes JSON bodies in the calling plugin strict UTF-8: a broken byte sequence is a 422, not a silent U+FFFD. */
export function strictUtf8Json(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // JSON is UTF-8 (RFC 8259): a body announced in another charset would be read as something it is not
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      done(httpError('unsupported_media_type'), undefined);
      return;
    }
    let text: string;
    try {
      text = decoder.decode(body as Buffer);
    } catch {
      done(httpError('validation_failed', { count: 1 }, [{ field: 'body', message: 'validation.utf8', code: 'invalid_utf8' }]), undefined);
      return;
    }
    parse(request, text, (err, value) => {
      // the parser refuses __proto__ and constructor.prototype keys with the same error as broken JSON;
      // valid JSON refused for them is a field problem, so the client learns what to change
      if (err && isValidJson(text)) {
        done(httpError('validation_failed', { count: 1 }, [{ field: 'body', message: 'validation.forbidden_key', code: 'forbidden_key' }]), undefined);
        return;
      }
      done(err, value);
    });
  });
}

const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/**
 * User-written text (a name, a memo) for a line the server writes (a notification, a chat reply): its
 * explicit bidi controls dropped and the rest wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL
 * ISOLATE, so a right-to-left name cannot reorder the amounts and words around it.
 */
export function isolatedText(text: string): string {
  return `\u2068${text.replace(BIDI_CONTROLS, '')}\u2069`;
}
