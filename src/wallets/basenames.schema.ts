import { z } from 'zod';

export const basenameCheckQuery = z.object({ name: z.string().min(1).max(64) });
export const basenameCheckSchema = z.object({
  name: z.string(),
  normalized: z.string().nullable(),
  valid: z.boolean(),
  available: z.boolean(),
  reason: z.enum(['invalid', 'reserved', 'taken']).nullable(),
  fee: z.string(),
  token: z.string(),
});
export const registerBasenameBody = z.object({ name: z.string().min(1).max(64), walletId: z.uuid() }).strict();
export const transferBasenameBody = z.object({ to: z.string().trim().min(1).max(254) }).strict();
export const basenameParams = z.object({ name: z.string().min(1).max(64) });

export const basenameSchema = z.object({
  name: z.string(),
  walletId: z.string(),
  address: z.string(),
  registeredAt: z.string(),
  expiresAt: z.string(),
  transactionId: z.string().nullable(),
});
export const basenameHistorySchema = z.object({
  id: z.string(),
  name: z.string(),
  action: z.enum(['registered', 'updated', 'transferred']),
  walletId: z.string(),
  transactionId: z.string().nullable(),
  transactionHash: z.string().nullable(),
  transactionStatus: z.string().nullable(),
  cost: z.string(),
  expiresAt: z.string(),
  createdAt: z.string(),
});
export const myBasenamesSchema = z.object({ basenames: z.array(basenameSchema), history: z.array(basenameHistorySchema) });
export const registeredBasenameSchema = z.object({
  basename: basenameSchema,
  action: z.enum(['registered', 'updated', 'transferred']),
  transaction: z.unknown().nullable(),
});
