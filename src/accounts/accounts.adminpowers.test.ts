import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { waitFinal } from '../wallets/wallets.testing.js';

// Admin powers over other users' data need 2FA everywhere, not only on routes declared auth: 'admin'.
let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let no2fa: TestUser;
let admin: TestUser;
let pet: { id: string };
let wallet: string;
let faucetTx: { id: string; hash: string };
let intentId: string;

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, user: TestUser, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: user.auth, payload });

beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000', RATE_LIMIT_MODERATE: '1000', RATE_LIMIT_LENIENT: '1000' } });
  alice = await createUser(t.deps, { name: 'Alice Ames' });
  bob = await createUser(t.deps, { name: 'Bob Boyd' });
  no2fa = await createUser(t.deps, { role: 'admin', twoFactor: false });
  admin = await createUser(t.deps, { role: 'admin' });
  pet = (await call('POST', '/pets', alice, { name: 'Mochi' })).json();
  wallet = (await call('GET', '/wallets', alice)).json().wallets[0].address;
  const faucet = await call('POST', '/wallets/faucet', alice, { amount: '5' });
  expect(faucet.statusCode).toBe(202);
  await waitFinal(t.deps, [faucet.json().id]);
  faucetTx = { id: faucet.json().id, hash: (await call('GET', `/transactions/${faucet.json().id}`, alice)).json().transactionHash };
  const intent = await call('POST', '/intents', alice, { payer: bob.email, amount: '1' });
  expect(intent.statusCode).toBe(201);
  intentId = intent.json().id;
  await t.deps.events.drain();
});
afterAll(async () => t?.close());

describe('an admin without 2FA', () => {
  it('is refused with 403 admin_2fa_required when naming another user (activity, export, pets, ledger)', async () => {
    for (const url of [`/activity?userId=${alice.id}`, `/activity/stats?userId=${alice.id}`, `/activity/export?format=json&userId=${alice.id}`, `/pets?userId=${alice.id}`, `/transactions?userId=${alice.id}`]) {
      const res = await call('GET', url, no2fa);
      // soft: a failure names every route that lets the admin through, not only the first
      expect.soft(res.statusCode, url).toBe(403);
      expect.soft(res.json(), url).toMatchObject({
        code: 'admin_2fa_required',
        title: 'Two-factor authentication required',
        detail: 'Administrators must turn on two-factor authentication before using admin features.',
      });
    }
    // their own data, named or not, works as for any user
    expect((await call('GET', `/pets?userId=${no2fa.id}`, no2fa)).json()).toEqual({ pets: [] });
    expect((await call('GET', `/activity?userId=${no2fa.id}`, no2fa)).statusCode).toBe(200);
    expect((await call('GET', '/admin/kyc', no2fa)).json().code).toBe('admin_2fa_required');
  });

  it('is a user for other people\'s objects: 404 for pets, messages, wallets, ledger rows and payment requests', async () => {
    const refused: Array<[string, string, string, object?]> = [
      ['GET', `/pets/${pet.id}`, 'pet_not_found'],
      ['GET', `/pets/${pet.id}/messages`, 'pet_not_found'],
      ['PATCH', `/pets/${pet.id}`, 'pet_not_found', { name: 'Stolen' }],
      ['DELETE', `/pets/${pet.id}`, 'pet_not_found'],
      ['GET', `/wallets/${wallet}`, 'wallet_not_found'],
      ['GET', `/transactions/${faucetTx.id}`, 'transaction_not_found'],
      ['GET', `/intents/${intentId}`, 'intent_not_found'],
    ];
    for (const [method, url, code, payload] of refused) {
      const res = await call(method as 'GET', url, no2fa, payload);
      expect.soft(res.statusCode, `${method} ${url}`).toBe(404);
      expect.soft(res.body && res.json().code, `${method} ${url}`).toBe(code);
    }
    // the whole ledger is an admin's view: without 2FA the list is the caller's own rows, and a known hash of someone else's is not theirs
    expect.soft((await call('GET', '/transactions', no2fa)).json().transactions).toEqual([]);
    expect.soft((await call('POST', '/transactions', no2fa, { hash: faucetTx.hash })).json().code).toBe('tx_not_yours');
    expect((await call('GET', `/pets/${pet.id}`, alice)).json()).toMatchObject({ name: 'Mochi' });
  });
});

describe('an admin with 2FA', () => {
  it('reads and changes other users\' data on user routes', async () => {
    for (const url of [`/activity?userId=${alice.id}`, `/activity/export?format=json&userId=${alice.id}`, `/pets?userId=${alice.id}`, `/pets/${pet.id}/messages`, `/wallets/${wallet}`, `/transactions/${faucetTx.id}`, `/intents/${intentId}`]) {
      expect((await call('GET', url, admin)).statusCode, url).toBe(200);
    }
    expect((await call('GET', `/transactions?userId=${alice.id}`, admin)).json().transactions.map((r: { id: string }) => r.id)).toEqual([faucetTx.id]);
    const known = await call('POST', '/transactions', admin, { hash: faucetTx.hash });
    expect(known.statusCode).toBe(200);
    expect(known.json()).toMatchObject({ id: faucetTx.id });
    expect((await call('PATCH', `/pets/${pet.id}`, admin, { name: 'Renamed' })).json()).toMatchObject({ name: 'Renamed' });
    expect((await call('DELETE', `/pets/${pet.id}`, admin)).statusCode).toBe(204);
  });
});
