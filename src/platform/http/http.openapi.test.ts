import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/testApp.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ work: false, dispatch: false });
});
afterAll(async () => t?.close());

describe('OpenAPI', () => {
  it('serves a valid OpenAPI 3.1 document generated from the zod schemas', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.paths['/api/v1/i18n/locales'].get).toBeDefined();
    expect(doc.paths['/health/ready'].get).toBeDefined();
    expect(doc.paths['/api/v1/i18n/translations/{locale}'].get.parameters[0]).toMatchObject({ name: 'locale', in: 'path' });
    // what the zod schemas cannot say: every error's problem+json, and the Idempotency-Key of the routes taking one
    expect(doc.paths['/api/v1/transfers'].post.responses.default.content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(doc.components.schemas.Problem.required).toContain('code');
    expect(doc.paths['/api/v1/transfers'].post.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }));
    expect(doc.paths['/api/v1/intents/{id}/fund'].post.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }));
    expect(doc.paths['/api/v1/transactions'].get.parameters ?? []).not.toContainEqual(expect.objectContaining({ name: 'Idempotency-Key' }));
  });

  it('serves browsable docs at /docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('swagger');
  });
});
