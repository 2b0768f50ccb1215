import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ work: false, dispatch: false });
});
afterAll(async () => t?.close());

describe('OpenAPI document', () => {
  it('describes the pets and chat routes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths);
    for (const p of ['/api/v1/pets', '/api/v1/pets/{id}', '/api/v1/pets/{id}/interactions', '/api/v1/pets/{id}/vacation', '/api/v1/pets/{petId}/messages', '/api/v1/pets/{petId}/messages/read', '/api/v1/chats/unread']) {
      expect(paths).toContain(p);
    }
    expect(res.json().paths['/api/v1/pets/{petId}/messages'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['limit', 'cursor', 'unreadOnly', 'since', 'q']),
    );
  });
});
