import { z } from 'zod';
import { pageQuery } from '../platform/http/http.pagination.js';
import { isCleanText, isPrintableLine } from '../platform/http/http.text.js';

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');
const role = z.enum(['user', 'admin']);
const kycStatus = z.enum(['none', 'pending', 'verified', 'rejected']);

export const adminUsersQuery = pageQuery(50, 100).extend({
  q: z.string().trim().max(254).refine(isPrintableLine, { message: 'validation.no_controls' }).optional()
    .describe('a part of the email or the name, case-insensitive'),
  role: role.optional(),
  disabled: flag.optional(),
  kycStatus: kycStatus.optional(),
});

export const disableBody = z.strictObject({
  reason: z.string().trim().min(1).max(500).refine(isCleanText, { message: 'validation.no_controls' }),
});
export const roleBody = z.strictObject({ role });
/** Enabling takes nothing: no body or an empty object (what the web app sends); any field is a 422, as on the other actions. */
export const enableBody = z.strictObject({}).nullish();

/** What an admin sees of an account in lists: no hash, 2FA seed, KYC details or preferences. */
export const adminUserSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  phone: z.string().nullable(),
  role,
  locale: z.string(),
  emailVerified: z.boolean(),
  phoneVerified: z.boolean(),
  twoFactorEnabled: z.boolean(),
  kycStatus,
  createdAt: z.string(),
  disabled: z.boolean(),
  disabledAt: z.string().nullable(),
  disabledReason: z.string().nullable(),
  disabledBy: z.string().nullable(),
  deleted: z.boolean(),
});

export const adminUserDetailSchema = adminUserSchema.extend({
  sessions: z.number().int().describe('signed-in devices (live session families)'),
  lastSignInAt: z.string().nullable(),
  wallets: z.array(z.object({ id: z.string(), kind: z.enum(['user', 'pet', 'treasury']), address: z.string(), petId: z.string().nullable() })),
});

export const adminUsersPage = z.object({ items: z.array(adminUserSchema), hasMore: z.boolean(), nextCursor: z.string().nullable() });
