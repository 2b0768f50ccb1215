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

/** Writes the pet's reply, handing each piece to onToken as it is produced; resolves with the whole text. */
export interface ReplyProvider {
  readonly name: string;
  generate(ctx: ReplyContext, onToken: (token: string) => void, signal: AbortSignal): Promise<string>;
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

/**
 * onToken for a reply streamed from elsewhere: each piece passed on cleaned (cleanText), what may join
 * the next piece (heldFrom) held back for it, and pieces left empty dropped; so what the client is sent
 * joins up to cleanText of the whole reply.
 */
export function cleanTokens(onToken: (token: string) => void): (token: string) => void {
  let held = '';
  return (token) => {
    const text = held + token;
    const cut = heldFrom(text);
    held = text.slice(cut);
    const clean = cleanText(text.slice(0, cut));
    if (clean) onToken(clean);
  };
}
