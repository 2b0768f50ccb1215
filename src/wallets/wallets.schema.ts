import { z } from 'zod';
import { queryInt } from '../platform/http/http.pagination.js';
import { isPrintableLine, PRINTABLE_LINE_MESSAGE } from '../platform/http/http.text.js';
import { AMOUNT_PATTERN } from './wallets.amounts.js';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'validation.address');
export const amountString = z
  .string()
  .max(40)
  .regex(AMOUNT_PATTERN, 'validation.amount_format')
  // only said of a well-formed amount: "abc" is not also "not greater than 0"
  .refine((v) => !AMOUNT_PATTERN.test(v) || /[1-9]/.test(v), 'validation.amount_positive');

/** The longest memo of a transfer or payment request. */
export const MEMO_MAX_CHARS = 280;

/** A note for the other side: one printable line (no controls or direction overrides that reorder what is shown). */
export const memoString = z.string().max(MEMO_MAX_CHARS).refine(isPrintableLine, { message: PRINTABLE_LINE_MESSAGE });

export const chainInfoSchema = z.object({
  chainId: z.number(),
  network: z.string(),
  embedded: z.boolean(),
  token: z.object({ address: z.string(), symbol: z.string(), decimals: z.number() }).nullable(),
  batchTransferAddress: z.string().nullable(),
  treasuryAddress: z.string().nullable(),
  confirmations: z.number(),
  rpcUrl: z.string().nullable(),
  blockNumber: z.string(),
});

const balance = z.object({ symbol: z.string(), amount: z.string(), base: z.string() });
export const walletSchema = z.object({
  id: z.string(),
  kind: z.enum(['user', 'pet', 'treasury']),
  address: z.string(),
  userId: z.string().nullable(),
  petId: z.string().nullable(),
  createdAt: z.string(),
  balances: z.object({ token: balance, gas: balance }).optional(),
});
export type WalletDto = z.infer<typeof walletSchema>;

export const createWalletBody = z.object({ kind: z.literal('pet'), petId: z.uuid() }).strict();
export const addressParams = z.object({ address });
export const faucetBody = z
  .object({ walletId: z.uuid().optional(), amount: amountString.optional() })
  .strict()
  .default({});

export const transactionSchema = z.object({
  id: z.string(),
  transactionHash: z.string().nullable(),
  from: z.string(),
  to: z.string(),
  amount: z.string(),
  amountBase: z.string(),
  token: z.string(),
  tokenAddress: z.string().nullable(),
  network: z.string(),
  chainId: z.number(),
  type: z.string(),
  status: z.enum(['queued', 'pending', 'confirmed', 'failed']),
  blockNumber: z.string().nullable(),
  gasUsed: z.string().nullable(),
  gasFee: z.string().nullable(),
  timestamp: z.string(),
  userId: z.string().nullable(),
  toUserId: z.string().nullable(),
  /** On ledger reads (list and one row): the sending and receiving users' display names; the app's name for the treasury (test funds, gas), null for outside addresses. */
  fromName: z.string().nullable().optional(),
  toName: z.string().nullable().optional(),
  petId: z.string().nullable(),
  memo: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  submittedAt: z.string().nullable(),
  finalizedAt: z.string().nullable(),
});
export type TransactionDto = z.infer<typeof transactionSchema>;

export const transferBody = z
  .object({
    fromWalletId: z.uuid().optional(),
    to: z.string().trim().min(1).max(254),
    amount: amountString,
    token: z.string().max(42).optional(),
    memo: memoString.optional(),
  })
  .strict();
export type TransferBody = z.infer<typeof transferBody>;

export const recipientQuery = z.object({ to: z.string().trim().min(1).max(254), fromWalletId: z.uuid().optional() });
/** Who a transfer would reach, shown before it is sent. */
export const recipientSchema = z.object({
  to: z.string(),
  address: z.string(),
  via: z.enum(['address', 'email', 'basename']),
  /** The receiving user's display name; null for an address that is not a StreakPets wallet. */
  name: z.string().nullable(),
  /** The pet's name when the address is the wallet of one of the caller's pets. */
  petName: z.string().nullable(),
});
export type RecipientDto = z.infer<typeof recipientSchema>;

const txType = z.enum(['purchase', 'transfer', 'evolution', 'gift', 'basename', 'bulk', 'faucet', 'gas']);
const txStatus = z.enum(['queued', 'pending', 'confirmed', 'failed']);
export const transactionsQuery = z.object({
  limit: queryInt(1, 100).default(50),
  cursor: z.string().max(500).optional(),
  type: txType.optional(),
  status: txStatus.optional(),
  address: address.optional(),
  petId: z.uuid().optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  userId: z.uuid().optional(),
})
  // a range that ends before it starts is a mistake to tell, not an empty page (compared as instants: offsets differ)
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { message: 'validation.range_end', params: { start: 'from' }, path: ['to'] });
export type TransactionsQuery = z.infer<typeof transactionsQuery>;

export const transactionsPage = z.object({
  transactions: z.array(transactionSchema),
  summary: z.object({
    count: z.number(),
    byStatus: z.record(z.string(), z.number()),
    byType: z.record(z.string(), z.number()),
    totals: z.array(z.object({ token: z.string(), sent: z.string(), received: z.string() })),
  }),
  hasMore: z.boolean(),
  nextCursor: z.string().nullable(),
});

export const hashOrIdParams = z.object({ hashOrId: z.string().max(80) });
export const hashParams = z.object({ hash: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'validation.tx_hash') });
export const recordBody = z.object({ hash: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'validation.tx_hash'), petId: z.uuid().optional() }).strict();
