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
