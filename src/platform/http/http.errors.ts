import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { translate, type Locale } from '../i18n/i18n.service.js';
import { settleAuthCheck } from './http.authCheck.js';
import { unreachableDependency, type DependencyDown } from './http.dependencies.js';
import { localizeField, type ValidationIssue } from './http.validation.js';

export interface FieldProblem {
  field: string;
  /** English text, or a catalog key (`validation.…`) told in the reader's language with `params`. */
  message: string;
  code?: string;
  params?: Record<string, unknown>;
  /** The zod issue behind a schema problem, so its message can be told in the reader's language. */
  issue?: ValidationIssue;
}

/** A problem the client can act on; leaves as RFC 9457 problem+json with a stable code. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly params: Record<string, unknown> = {},
    readonly errors: FieldProblem[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(code);
  }
}

/** Stable error codes and their HTTP status; titles and details live in locales/*.json under errors.<code>. */
export const ERROR_STATUS = {
  bad_request: 400,
  malformed_json: 400,
  unauthorized: 401,
  token_invalid: 401,
  token_expired: 401,
  forbidden: 403,
  admin_2fa_required: 403,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  idempotency_in_flight: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  idempotency_key_reused: 422,
  idempotency_key_invalid: 422,
  locked: 423,
  rate_limited: 429,
  headers_too_large: 431,
  internal: 500,
  unavailable: 503,
  overloaded: 503,
  timeout: 503,
  chain_unavailable: 503,
  database_unavailable: 503,
  shutting_down: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Builds an AppError for one of the platform's codes. */
export function httpError(code: ErrorCode, params: Record<string, unknown> = {}, errors: FieldProblem[] = []): AppError {
  return new AppError(ERROR_STATUS[code], code, params, errors);
}

/** Seconds a client is told to wait (Retry-After) when a dependency is unreachable. */
const DEPENDENCY_RETRY_SECONDS = 5;

/** A 503 with Retry-After: the request may succeed unchanged a little later. */
export function retryLater(code: ErrorCode, seconds: number): AppError {
  return new AppError(ERROR_STATUS[code], code, { seconds }, [], { 'retry-after': String(seconds) });
}

/** The 503 of a dependency (the chain, the database) that cannot be reached now, with when to try again. */
export function dependencyUnavailable(down: DependencyDown): AppError {
  return retryLater(down, DEPENDENCY_RETRY_SECONDS);
}

const PG_CODES: Record<string, ErrorCode> = {
  '23505': 'conflict',
  '23503': 'conflict',
  '55P03': 'locked',
  '57014': 'timeout',
  '22P02': 'validation_failed',
  '22003': 'validation_failed',
  '22001': 'validation_failed',
  '40001': 'conflict',
  '40P01': 'conflict',
};

function fromFastify(err: FastifyError): AppError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return httpError('malformed_json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpError('payload_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? httpError('unsupported_media_type') : httpError('bad_request');
  }
  if (err instanceof SyntaxError) return httpError('malformed_json');
  const status = err.statusCode ?? 0;
  if (status === 413) return httpError('payload_too_large');
  if (status === 415) return httpError('unsupported_media_type');
  if (status >= 400 && status < 500) return new AppError(status, 'bad_request');
  return null;
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as FastifyError & { code?: string };
  if (hasZodFastifySchemaValidationErrors(e)) {
    const errors = e.validation.map((v) => ({
      field: [e.validationContext, ...String(v.instancePath ?? '').split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'invalid',
      code: String(v.keyword ?? 'invalid'),
      issue: { ...(v.params as Record<string, unknown>), code: String(v.keyword ?? 'invalid') },
      params: (v.params as { params?: Record<string, unknown> } | undefined)?.params,
    }));
    return httpError('validation_failed', { count: errors.length }, errors);
  }
  if (typeof e?.code === 'string' && PG_CODES[e.code]) return httpError(PG_CODES[e.code]);
  const down = unreachableDependency(err);
  if (down) return dependencyUnavailable(down);
  return fromFastify(e) ?? httpError('internal');
}

/** An AppError as a problem+json document in locale; `about` names the request when there is one. */
export function problemDocument(locale: Locale, error: AppError, about: { instance?: string; requestId?: string } = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    type: `https://streakpets.dev/problems/${error.code.replace(/_/g, '-')}`,
    title: translate(locale, `errors.${error.code}.title`, error.params),
    status: error.status,
    detail: translate(locale, `errors.${error.code}.detail`, error.params),
    code: error.code,
    ...about,
  };
  if (error.errors.length) body.errors = error.errors.map((e) => localizeField(locale, e));
  return body;
}

/** An AppError as a localized problem+json document for a request (sendProblem sends it). */
export function problemBody(request: FastifyRequest, error: AppError): Record<string, unknown> {
  return problemDocument(request.locale ?? 'en', error, { instance: (request.originalUrl ?? request.url).split('?')[0], requestId: request.id });
}

/** Sends an AppError as localized problem+json. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
  return reply.status(error.status).type('application/problem+json').send(problemBody(request, error));
}

/** One error handler and one not-found handler for the whole app. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(async (err, request, reply) => {
    let problem = toAppError(err);
    // refused before its session check answered (validation, rate limit…): a dead session comes first
    if (request.authCheck && problem.status !== 401) {
      try {
        if (!(await settleAuthCheck(request))) problem = httpError('token_invalid');
      } catch (checkErr) {
        problem = toAppError(checkErr);
      }
    }
    if (problem.status >= 500) request.log.error({ err, code: problem.code }, 'request failed');
    else request.log.info({ code: problem.code }, 'request rejected');
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    if (!decodable(path)) return sendProblem(request, reply, badUrl());
    return sendProblem(request, reply, httpError('route_not_found', { method: request.method, path }));
  });
}

/** The 400 a URL that is not valid percent-encoded UTF-8 gets. */
export function badUrl(): AppError {
  return httpError('bad_request', {}, [{ field: 'url', message: 'validation.url_encoding' }]);
}

/** Whether a URL path's percent-escapes decode to UTF-8 (the router routes a path that does not nowhere). */
export function decodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}
