import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorContext, requestContext } from '../platform/http/http.context.js';
import type { AccountsModuleServices } from './accounts.module.js';
import {
  acceptedSchema,
  authResultSchema,
  disableBody,
  enableTwoFactorBody,
  forgotBody,
  loginBody,
  refreshBody,
  registerBody,
  resetBody,
  smsSendBody,
  smsVerifyBody,
  tokenBody,
  tokensSchema,
} from './accounts.schema.js';

const publicStrict = { auth: 'none', rateTier: 'strict' } as const;
const userStrict = { auth: 'user', rateTier: 'strict' } as const;
const tags = ['auth'];

/** /auth: registration, sign-in, tokens, 2FA, email verification, password reset, phone codes. */
export function authRoutes(app: FastifyInstance, s: AccountsModuleServices): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/auth/register', { config: publicStrict, schema: { tags, body: registerBody, response: { 201: authResultSchema } } }, async (request, reply) =>
    reply.status(201).send(await s.accounts.register(request.body, { ...actorContext(request), locale: request.locale })),
  );

  r.post('/auth/login', { config: publicStrict, schema: { tags, body: loginBody, response: { 200: authResultSchema } } }, async (request) =>
    s.accounts.login(request.body, actorContext(request)),
  );

  r.post('/auth/refresh', { config: publicStrict, schema: { tags, body: refreshBody, response: { 200: tokensSchema } } }, async (request) =>
    s.accounts.refresh(request.body.refreshToken, actorContext(request)),
  );

  r.post('/auth/logout', { config: userStrict, schema: { tags } }, async (request, reply) => {
    await s.accounts.logout(requestContext(request));
    return reply.status(204).send();
  });

  r.post(
    '/auth/2fa/setup',
    { config: userStrict, schema: { tags, response: { 200: z.object({ secret: z.string(), otpauthUrl: z.string(), qrDataUrl: z.string() }) } } },
    async (request) => s.twoFactor.setup(requestContext(request)),
  );

  r.post(
    '/auth/2fa/enable',
    { config: userStrict, schema: { tags, body: enableTwoFactorBody, response: { 200: z.object({ recoveryCodes: z.array(z.string()) }) } } },
    async (request) => s.twoFactor.enable(requestContext(request), request.body),
  );

  r.post('/auth/2fa/disable', { config: userStrict, schema: { tags, body: disableBody } }, async (request, reply) => {
    await s.twoFactor.disable(requestContext(request), request.body);
    return reply.status(204).send();
  });

  r.post('/auth/verify-email/request', { config: userStrict, schema: { tags, response: { 202: acceptedSchema } } }, async (request, reply) => {
    await s.verification.requestVerification(requestContext(request));
    return reply.status(202).send({ status: 'accepted' as const });
  });

  r.post(
    '/auth/verify-email',
    { config: publicStrict, schema: { tags, body: tokenBody, response: { 200: z.object({ emailVerified: z.literal(true) }) } } },
    async (request) => {
      await s.verification.verifyEmail(request.body.token, actorContext(request));
      return { emailVerified: true as const };
    },
  );

  r.post('/auth/password/forgot', { config: publicStrict, schema: { tags, body: forgotBody, response: { 202: acceptedSchema } } }, async (request, reply) => {
    await s.verification.forgotPassword(request.body.email);
    return reply.status(202).send({ status: 'accepted' as const });
  });

  r.post('/auth/password/reset', { config: publicStrict, schema: { tags, body: resetBody } }, async (request, reply) => {
    await s.verification.resetPassword(request.body.token, request.body.password, actorContext(request));
    return reply.status(204).send();
  });

  r.post(
    '/auth/sms/send',
    { config: userStrict, schema: { tags, body: smsSendBody, response: { 202: z.object({ expiresInSeconds: z.number().int() }) } } },
    async (request, reply) => reply.status(202).send(await s.verification.sendPhoneCode(requestContext(request), request.body.phone)),
  );

  r.post(
    '/auth/sms/verify',
    { config: userStrict, schema: { tags, body: smsVerifyBody, response: { 200: z.object({ phoneVerified: z.literal(true) }) } } },
    async (request) => {
      await s.verification.verifyPhone(requestContext(request), request.body.phone, request.body.code);
      return { phoneVerified: true as const };
    },
  );
}
