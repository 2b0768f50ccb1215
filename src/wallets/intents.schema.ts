import { z } from 'zod';
import { pageQuery } from '../platform/http/http.pagination.js';
import { amountString, memoString } from './wallets.schema.js';

export const createIntentBody = z
  .object({
    payer: z.string().trim().min(1).max(254),
    amount: amountString,
    memo: memoString.optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export const intentParams = z.object({ id: z.uuid() });
export const intentsQuery = z.object({
  status: z.enum(['created', 'funded', 'executed', 'cancelled', 'expired']).optional(),
  role: z.enum(['requester', 'payer']).optional(),
  ...pageQuery().shape,
});
export const intentSchema = z.object({
  id: z.string(),
  status: z.enum(['created', 'funded', 'executed', 'cancelled', 'expired']),
  requesterId: z.string(),
  /** The requester's display name, so the payer sees who asks (as the notification says it). */
  requesterName: z.string().nullable(),
  payerId: z.string().nullable(),
  /** The payer's display name, so the requester sees whom they asked (not just what they typed). */
  payerName: z.string().nullable(),
  payer: z.string(),
  to: z.string(),
  amount: z.string(),
  token: z.string(),
  memo: z.string().nullable(),
  transactionId: z.string().nullable(),
  expiresAt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type IntentDto = z.infer<typeof intentSchema>;
