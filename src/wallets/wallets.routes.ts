import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../platform/http/http.context.js';
import type { WalletsService } from './wallets.module.js';
import {
  addressParams,
  chainInfoSchema,
  createWalletBody,
  faucetBody,
  hashOrIdParams,
  hashParams,
  recipientQuery,
  recipientSchema,
  recordBody,
  transactionSchema,
  transactionsPage,
  transactionsQuery,
  transferBody,
  walletSchema,
} from './wallets.schema.js';

/** Chain info, wallets, faucet, transfers and the transaction ledger under /api/v1. */
export function walletsRoutes(app: FastifyInstance, wallets: WalletsService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/chain', { config: { auth: 'none', rateTier: 'lenient' }, schema: { tags: ['wallets'], response: { 200: chainInfoSchema } } }, async () =>
    wallets.chainInfo(),
  );

  r.get(
    '/wallets',
    { config: { rateTier: 'lenient' }, schema: { tags: ['wallets'], response: { 200: z.object({ wallets: z.array(walletSchema) }) } } },
    async (request) => ({ wallets: await wallets.listMine(requestContext(request)) }),
  );

  r.post(
    '/wallets',
    { config: { rateTier: 'moderate' }, schema: { tags: ['wallets'], body: createWalletBody, response: { 201: walletSchema } } },
    async (request, reply) => reply.status(201).send(await wallets.createPetWallet(requestContext(request), request.body.petId)),
  );

  r.post(
    '/wallets/faucet',
    { config: { rateTier: 'strict', idempotent: true }, schema: { tags: ['wallets'], body: faucetBody, response: { 202: transactionSchema } } },
    async (request, reply) => reply.status(202).send(await wallets.faucet(requestContext(request), request.body ?? {})),
  );

  r.get(
    '/wallets/:address',
    { config: { rateTier: 'lenient' }, schema: { tags: ['wallets'], params: addressParams, response: { 200: walletSchema } } },
    async (request) => wallets.getWallet(requestContext(request), request.params.address),
  );

  r.post(
    '/transfers',
    { config: { rateTier: 'strict', idempotent: 'withCommit' }, schema: { tags: ['transfers'], body: transferBody, response: { 202: transactionSchema } } },
    async (request, reply) => reply.status(202).send(await wallets.send(requestContext(request), request.body)),
  );

  r.get(
    '/transfers/recipient',
    { config: { rateTier: 'moderate' }, schema: { tags: ['transfers'], querystring: recipientQuery, response: { 200: recipientSchema } } },
    async (request) => wallets.previewRecipient(requestContext(request), request.query.to, request.query.fromWalletId),
  );

  r.get(
    '/transactions',
    { config: { rateTier: 'lenient' }, schema: { tags: ['transactions'], querystring: transactionsQuery, response: { 200: transactionsPage } } },
    async (request) => wallets.listTransactions(requestContext(request), request.query),
  );

  r.get(
    '/transactions/:hashOrId',
    { config: { rateTier: 'lenient' }, schema: { tags: ['transactions'], params: hashOrIdParams, response: { 200: transactionSchema } } },
    async (request) => wallets.getTransaction(requestContext(request), request.params.hashOrId),
  );

  r.post(
    '/transactions',
    {
      config: { rateTier: 'moderate' },
      schema: { tags: ['transactions'], body: recordBody, response: { 200: transactionSchema, 201: transactionSchema } },
    },
    async (request, reply) => {
      const { created, transaction } = await wallets.recordTransaction(requestContext(request), request.body);
      return reply.status(created ? 201 : 200).send(transaction);
    },
  );

  r.post(
    '/transactions/:hash/refresh',
    { config: { rateTier: 'moderate' }, schema: { tags: ['transactions'], params: hashParams, response: { 200: transactionSchema } } },
    async (request) => wallets.refreshTransaction(requestContext(request), request.params.hash),
  );
}
