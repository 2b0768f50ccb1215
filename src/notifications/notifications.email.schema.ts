import { z } from 'zod';
import { EMAIL_CATEGORIES } from './notifications.email.types.js';

const flags = (schema: z.ZodBoolean) => z.object(Object.fromEntries(EMAIL_CATEGORIES.map((c) => [c, schema])) as Record<(typeof EMAIL_CATEGORIES)[number], z.ZodBoolean>);

export const emailPreferencesView = z.object({
  email: flags(z.boolean()),
  /** Mail goes only to a verified address: false until the user confirmed theirs. */
  emailVerified: z.boolean(),
});

export const emailPreferencesBody = z.strictObject({
  email: z.strictObject(Object.fromEntries(EMAIL_CATEGORIES.map((c) => [c, z.boolean().optional()])) as Record<(typeof EMAIL_CATEGORIES)[number], z.ZodOptional<z.ZodBoolean>>),
});
