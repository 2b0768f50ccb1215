/**
 * The built-in persona engine: no network, answers in the owner's locale, in character for the
 * pet's stage, mood and personality, aware of its stats and of what was said just before.
 */
import { translate } from '../platform/i18n/i18n.service.js';
import type { PetView } from '../pets/pets.service.js';

export interface PersonaTurn {
  sender: 'user' | 'pet' | 'system';
  content: string;
  at?: Date;
}

/** Saying the same thing again within this long counts as a repetition. */
const REPEAT_WINDOW_MS = 10 * 60_000;

export interface PersonaInput {
  pet: PetView;
  locale: string;
  /** The message being answered. */
  content: string;
  /** Earlier messages, oldest first, not including `content`. */
  history: PersonaTurn[];
  now?: Date;
}

export type Intent = 'how' | 'hungry' | 'tired' | 'streak' | 'name' | 'love' | 'thanks' | 'bye' | 'play' | 'greeting' | 'other';

/** Keywords in all eight languages; the first intent that matches wins. */
const INTENTS: Array<[Intent, RegExp]> = [
  ['how', /how are (you|u)|how do you feel|how'?s it going|are you (ok|okay|well)|comment (ça|ca) va|comment vas[- ]tu|tu vas bien|cómo estás|como estas|qué tal|que tal|wie geht'?s|wie geht es dir|come stai|come va|como você está|como voce esta|como vai|tudo bem|元気|調子|大丈夫|你好吗|怎么样|还好吗/i],
  ['hungry', /hungry|starving|\beat\b|food|faim|manger|hambre|comer|hunger|hungrig|essen|\bfame\b|mangiare|fome|お腹|おなか|空い|食べ|ごはん|ご飯|饿|吃/i],
  ['tired', /tired|sleepy|\bsleep|fatigu|dormir|sommeil|cansad|sueño|müde|schlaf|stanc|sonno|sono\b|疲れ|眠|累|困|睡/i],
  ['streak', /streak|série|racha|\bserie\b|sequência|sequencia|連続|ストリーク|连续/i],
  ['name', /your name|who are you|t'appelles|ton nom|te llamas|tu nombre|heißt du|dein name|ti chiami|il tuo nome|seu nome|se chama|名前|名字|你叫什么/i],
  ['love', /love you|luv u|je t'aime|t'adore|te quiero|te amo|liebe dich|hab dich lieb|ti amo|ti voglio bene|amo você|大好き|愛してる|爱你|喜欢你/i],
  ['thanks', /thank|thx|merci|gracias|danke|grazie|obrigad|ありがとう|谢谢|多谢/i],
  ['bye', /\bbye\b|goodbye|good night|see you|au revoir|bonne nuit|à plus|adiós|adios|buenas noches|hasta luego|tschüss|tschuss|gute nacht|arrivederci|buonanotte|tchau|boa noite|até logo|さようなら|おやすみ|またね|再见|晚安|拜拜/i],
  ['play', /\bplay\b|jouer|jugar|spielen|giocare|brincar|jogar|遊ぼ|遊び|玩/i],
  ['greeting', /^\s*(hi|hello|hey|yo|hiya|howdy)\b|good (morning|evening|afternoon)|bonjour|salut|coucou|bonsoir|\bhola\b|buenos días|buenas|\bhallo\b|guten (morgen|tag|abend)|\bmoin\b|\bciao\b|buongiorno|buonasera|(?<!\p{L})(olá|ola|oi)(?!\p{L})|bom dia|boa tarde|こんにちは|おはよう|こんばんは|やあ|你好|早上好|晚上好|嗨|哈喽/iu],
];

export function detectIntent(text: string): Intent {
  for (const [intent, pattern] of INTENTS) if (pattern.test(text)) return intent;
  return 'other';
}

/** A stable small number from text, so the same situation gets the same wording (and tests are exact). */
function pick(text: string, n: number): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return Math.abs(h) % n;
}

function snippet(text: string, max = 40): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return [...flat].length > max ? `${[...flat].slice(0, max - 1).join('')}…` : flat;
}

/** Writes the pet's answer to one message. */
export function personaReply(input: PersonaInput): string {
  const { pet, locale } = input;
  const t = (key: string, params: Record<string, unknown> = {}) =>
    translate(locale, `chat.persona.${key}`, {
      name: pet.name,
      happiness: pet.stats.happiness,
      health: pet.stats.health,
      energy: pet.stats.energy,
      ...params,
    });
  if (pet.stage === 'egg') return t(pet.feelings.length ? 'egg.needy' : 'egg.happy');

  const intent = detectIntent(input.content);
  const lastUser = [...input.history].reverse().find((m) => m.sender === 'user');
  let line: string;
  const recent = !lastUser?.at || !input.now || input.now.getTime() - lastUser.at.getTime() < REPEAT_WINDOW_MS;
  if (lastUser && recent && lastUser.content.trim().toLowerCase() === input.content.trim().toLowerCase()) {
    line = t('repeat');
  } else {
    switch (intent) {
      case 'how':
        line = t(`mood.${pet.mood}`);
        break;
      case 'hungry':
        line = pet.feelings.includes('hungry') ? t('hungry.yes') : t('hungry.no');
        break;
      case 'tired':
        line = pet.stats.energy < 20 ? t('tired.yes') : t('tired.no');
        break;
      case 'streak':
        line = pet.streak.current > 0 ? t('streak.some', { count: pet.streak.current, longest: pet.streak.longest }) : t('streak.none');
        break;
      case 'play':
        line = pet.stats.energy < 15 ? t('play.tired') : t('play.yes');
        break;
      case 'name':
      case 'love':
      case 'thanks':
      case 'bye':
      case 'greeting':
        line = t(intent);
        if (intent === 'greeting' && pet.feelings.length) line = `${line} ${t(`mood.${pet.mood}`)}`;
        break;
      default: {
        const earlier = [...input.history].reverse().filter((m) => m.sender === 'user')[0];
        line = earlier
          ? t('other.memory', { said: snippet(input.content), earlier: snippet(earlier.content) })
          : t('other.new', { said: snippet(input.content) });
        if (pet.feelings.length) line = `${line} ${t(`mood.${pet.mood}`)}`;
      }
    }
  }
  const trait = pet.personality[pick(input.content, Math.max(1, pet.personality.length))];
  const flourish = trait && pick(`${input.content}#`, 3) === 0 ? ` ${t(`trait.${trait}`)}` : '';
  const voiced = `${line}${flourish}`;
  if (pet.stage === 'baby') return `${t('voice.baby')} ${voiced}`;
  if (pet.stage === 'teen') return `${t('voice.teen')} ${voiced}`;
  if (pet.stage === 'unicorn') return `${voiced} ${t('voice.unicorn')}`;
  return voiced;
}

/** Splits a reply into the tokens streamed to the client: words with their spacing, or characters for CJK text. */
export function tokenize(text: string): string[] {
  const parts = text.match(/[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]|[^\s\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]+\s*|\s+/g);
  return parts ?? [text];
}
