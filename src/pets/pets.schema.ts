import { z } from 'zod';
import { fitsLength, hasVisibleText, isPrintableLine, NAME_CODE_POINTS_PER_CHARACTER, PRINTABLE_LINE_MESSAGE } from '../platform/http/http.text.js';
import { pageQuery } from '../platform/http/http.pagination.js';
import { INTERACTIONS, MOODS, PET_NAME_MAX, STAGES, TRAITS } from './pets.rules.js';

const petName = z
  .string()
  .trim()
  // an empty name gets one problem ("required"), not also "must not be empty"
  .min(1, { abort: true })
  .refine((s) => fitsLength(s, PET_NAME_MAX), { message: 'validation.too_long_chars', params: { max: PET_NAME_MAX } })
  .refine(hasVisibleText, { message: 'validation.not_empty' })
  .refine(isPrintableLine, { message: PRINTABLE_LINE_MESSAGE })
  .describe(`one printable line of 1–${PET_NAME_MAX} user-perceived characters (graphemes), at most ${PET_NAME_MAX * NAME_CODE_POINTS_PER_CHARACTER} code points`);

export const petParams = z.object({ id: z.uuid() });
export const listPetsQuery = z.object({ userId: z.uuid().optional() });
export const createPetBody = z.strictObject({
  name: petName,
  personality: z.array(z.enum(TRAITS)).min(1).max(3).optional(),
});
export const renamePetBody = z.strictObject({ name: petName });
export const interactionBody = z.strictObject({ type: z.enum(INTERACTIONS) });
export const vacationBody = z.strictObject({ until: z.iso.datetime({ offset: true }) });
export const historyQuery = pageQuery(50, 100);

export const petView = z.object({
  id: z.string(),
  userId: z.string(),
  name: z.string(),
  personality: z.array(z.string()),
  stage: z.string().describe(STAGES.join(' | ')),
  level: z.number().int(),
  xp: z.number().int(),
  xpToday: z.number().int(),
  xpDailyCap: z.number().int(),
  nextStage: z.object({ stage: z.string(), xpRequired: z.number().int(), automatic: z.boolean() }).nullable(),
  stats: z.object({ happiness: z.number(), health: z.number(), energy: z.number() }),
  mood: z.enum(MOODS),
  feelings: z.array(z.string()),
  streak: z.object({
    current: z.number().int(),
    longest: z.number().int(),
    lastDay: z.string().nullable(),
    atRisk: z.boolean(),
    hoursLeft: z.number().nullable(),
  }),
  vacation: z.object({ active: z.boolean(), start: z.string(), until: z.string() }).nullable(),
  lastInteractionAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const interactionResult = z.object({ pet: petView, xpGained: z.number().int() });
export const evolveResult = z.object({ pet: petView, from: z.string(), to: z.string() });
export const evolutionView = z.object({
  stage: z.string(),
  level: z.number().int(),
  xp: z.number().int(),
  next: z
    .object({
      stage: z.string(),
      automatic: z.boolean(),
      ready: z.boolean(),
      requirements: z.array(z.object({ kind: z.string(), required: z.number(), current: z.number(), met: z.boolean() })),
    })
    .nullable(),
});
export const historyPage = z.object({
  items: z.array(z.object({ id: z.string(), kind: z.string(), data: z.record(z.string(), z.unknown()), createdAt: z.string() })),
  hasMore: z.boolean(),
  nextCursor: z.string().nullable(),
});
