import { sql } from 'kysely';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../test/helpers/factories.js';
import { startSmtpServer, type TestSmtpServer } from '../../test/helpers/smtp.js';
import { listen, nextEvent, openSocket } from '../../test/helpers/sockets.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { waitFinal } from '../wallets/wallets.testing.js';

let t: TestApp;
let smtp: TestSmtpServer;
let baseUrl: string;
beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000', RATE_LIMIT_MODERATE: '1000', RATE_LIMIT_LENIENT: '1000', SMTP_URL: smtp.url } });
  baseUrl = await listen(t.app);
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const PASSWORD = 'correct horse battery staple';
let n = 0;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token?: string, payload?: object) {
  return t.app.inject({ method, url: `/api/v1${url}`, payload, headers: token ? bearer(token) : {} });
}

async function signUp() {
  const email = `gone${++n}-${Date.now()}@example.test`;
  const res = await call('POST', '/auth/register', undefined, { email, password: PASSWORD, name: 'Alma Secret', phone: `+1555000${String(1000 + n)}` });
  expect(res.statusCode).toBe(201);
  return { email, id: res.json().user.id as string, token: res.json().accessToken as string };
}

describe('DELETE /me', () => {
  it('refuses while the wallets hold money, then erases the account: ledger kept without personal data, address free again', async () => {
    const alma = await signUp();
    const bob = await createUser(t.deps, { name: 'Bob Boyd' });
    expect((await call('POST', '/me/kyc', alma.token, { fullName: 'Alma Secret', dateOfBirth: '1990-01-02', country: 'FR', documentType: 'passport', documentNumber: 'X1234567' })).statusCode).toBe(202);
    const pet = (await call('POST', '/pets', alma.token, { name: 'Biscuit' })).json();
    expect((await call('POST', `/pets/${pet.id}/messages`, alma.token, { content: 'my flat is at 3B Baker Street' })).statusCode).toBe(200);
    expect((await call('PUT', '/notifications/email-preferences', alma.token, { email: { petCare: true } })).statusCode).toBe(200);
    const faucet = await call('POST', '/wallets/faucet', alma.token, { amount: '5' });
    expect(faucet.statusCode).toBe(202);
    await waitFinal(t.deps, [faucet.json().id]);

    const funded = await call('DELETE', '/me', alma.token, { currentPassword: PASSWORD });
    expect(funded.statusCode).toBe(409);
    expect(funded.headers['content-type']).toContain('application/problem+json');
    expect(funded.json()).toMatchObject({ code: 'account_has_funds', detail: 'Your wallets and your pets’ wallets still hold 5 USDC. Send it to another wallet first, then delete your account.' });
    expect((await call('GET', '/me', alma.token)).json()).toMatchObject({ email: alma.email, name: 'Alma Secret' });

    const paid = await call('POST', '/transfers', alma.token, { to: bob.email, amount: '5', memo: 'rent for 3B Baker Street' });
    expect(paid.statusCode, paid.body).toBe(202);
    await waitFinal(t.deps, [paid.json().id]);

    const socket = await openSocket(baseUrl, alma.token);
    const wrong = await call('DELETE', '/me', alma.token, { currentPassword: 'not my password at all' });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json()).toMatchObject({ code: 'current_password_invalid', errors: [{ field: 'body.currentPassword' }] });
    expect((await call('GET', '/me', alma.token)).statusCode).toBe(200);

    const deleted = await call('DELETE', '/me', alma.token, { currentPassword: PASSWORD });
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect(deleted.body).toBe('');
    expect(await nextEvent(socket, 'auth:revoked')).toMatchObject({ reason: 'account_inactive' });
    socket.close();
    expect((await call('GET', '/me', alma.token)).statusCode).toBe(401);
    expect((await call('POST', '/auth/login', undefined, { email: alma.email, password: PASSWORD })).json().code).toBe('invalid_credentials');

    const notice = await smtp.waitFor(alma.email, (m) => m.subject === 'Your StreakPets account was deleted');
    expect(notice.text).not.toContain('Alma');

    await t.deps.events.drain();
    const db = t.deps.db;
    const row = await db.selectFrom('users').selectAll().where('id', '=', alma.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ email: `deleted-${alma.id}@deleted.invalid`, name: '', phone: null, totp_secret: null, kyc_details: null, preferences: {} });
    expect(row.password_hash).not.toMatch(/^\$argon2/);
    expect(row.deleted_at).not.toBeNull();
    expect(row.disabled_at).not.toBeNull();
    const count = async (table: 'sessions' | 'login_attempts' | 'chat_messages' | 'chat_threads' | 'notifications' | 'notification_email_preferences' | 'activity_log') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', alma.id).executeTakeFirstOrThrow()).n);
    for (const table of ['sessions', 'login_attempts', 'chat_messages', 'chat_threads', 'notifications', 'notification_email_preferences', 'activity_log'] as const) expect(await count(table), table).toBe(0);
    const pets = await db.selectFrom('pets').select(['name', 'deleted_at']).where('user_id', '=', alma.id).execute();
    expect(pets).toEqual([{ name: '—', deleted_at: expect.any(Date) }]);
    expect(await db.selectFrom('pet_history').select('id').where('pet_id', '=', pet.id).execute()).toEqual([]);
    expect(await db.selectFrom('outbound_messages').select('template').where('recipient', '=', alma.email).execute()).toEqual([{ template: 'account_deleted' }]);
    const audit = await db.selectFrom('activity_log').select(['user_id', 'details']).where('action', '=', 'account.deleted').execute();
    expect(audit).toContainEqual({ user_id: null, details: { userId: alma.id } });

    // the money record stays, naming no one and without the memo
    const ledger = (await call('GET', '/transactions', bob.token)).json().transactions;
    expect(ledger.find((r: { id: string }) => r.id === paid.json().id)).toMatchObject({ amount: '5', status: 'confirmed', fromName: null, toName: 'Bob Boyd', memo: null });

    expect([...(await t.deps.services.accounts.displayNames([alma.id, bob.id])).entries()]).toEqual([[bob.id, 'Bob Boyd']]);

    const again = await call('POST', '/auth/register', undefined, { email: alma.email, password: PASSWORD, name: 'Someone Else' });
    expect(again.statusCode).toBe(201);
    expect(again.json().user.id).not.toBe(alma.id);
  });

  it('counts the tokens in the pets\' wallets too', async () => {
    const user = await signUp();
    const pet = (await call('POST', '/pets', user.token, { name: 'Nugget' })).json();
    const wallet = await call('POST', '/wallets', user.token, { kind: 'pet', petId: pet.id });
    expect(wallet.statusCode).toBe(201);
    const faucet = await call('POST', '/wallets/faucet', user.token, { walletId: wallet.json().id, amount: '0.5' });
    expect(faucet.statusCode).toBe(202);
    await waitFinal(t.deps, [faucet.json().id]);
    const res = await call('DELETE', '/me', user.token, { currentPassword: PASSWORD });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'account_has_funds', detail: expect.stringContaining('0.5 USDC') });
    expect((await call('GET', `/pets/${pet.id}`, user.token)).statusCode).toBe(200);
  });

  it('asks for a code from the authenticator app when 2FA is on, and changes nothing without it', async () => {
    const user = await signUp();
    const { secret } = (await call('POST', '/auth/2fa/setup', user.token)).json();
    expect((await call('POST', '/auth/2fa/enable', user.token, { code: await generate({ secret }), currentPassword: PASSWORD })).statusCode).toBe(200);
    const missing = await call('DELETE', '/me', user.token, { currentPassword: PASSWORD });
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ code: 'totp_code_required', errors: [{ field: 'body.totpCode' }] });
    const wrong = await call('DELETE', '/me', user.token, { currentPassword: PASSWORD, totpCode: '000000' });
    expect(wrong.json()).toMatchObject({ code: 'totp_code_invalid', errors: [{ field: 'body.totpCode' }] });
    expect((await call('GET', '/me', user.token)).json().email).toBe(user.email);
    const totpCode = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    expect((await call('DELETE', '/me', user.token, { currentPassword: PASSWORD, totpCode })).statusCode).toBe(204);
  });

  it('refuses the last enabled admin (409 last_admin); once deleted, no admin can enable the account or give it a role (409 account_deleted)', async () => {
    const user = await signUp();
    await t.deps.db.updateTable('users').set({ role: 'admin' }).where('id', '=', user.id).execute();
    const others = await t.deps.db.selectFrom('users').select('id').where('role', '=', 'admin').where('id', '!=', user.id).where('disabled_at', 'is', null).execute();
    expect(others).toEqual([]);
    const last = await call('DELETE', '/me', user.token, { currentPassword: PASSWORD });
    expect(last.statusCode).toBe(409);
    expect(last.json().code).toBe('last_admin');
    expect((await call('GET', '/me', user.token)).json().email).toBe(user.email);

    const admin = await createUser(t.deps, { role: 'admin' });
    expect((await call('DELETE', '/me', user.token, { currentPassword: PASSWORD })).statusCode).toBe(204);
    for (const [url, body] of [[`/admin/users/${user.id}/enable`, undefined], [`/admin/users/${user.id}/role`, { role: 'user' }]] as const) {
      const refused = await call('POST', url, admin.token, body);
      expect(refused.statusCode, url).toBe(409);
      expect(refused.json().code).toBe('account_deleted');
    }
    expect((await call('GET', `/admin/users/${user.id}`, admin.token)).json()).toMatchObject({ deleted: true, disabled: true, role: 'user' });
  });

  it('refuses while a transfer from or to the wallets is still in flight (no worker sends it here)', async () => {
    const idle = await createTestApp({ work: false, env: { RATE_LIMIT_STRICT: '1000', RATE_LIMIT_MODERATE: '1000' } });
    try {
      const email = `idle-${Date.now()}@example.test`;
      const reg = await idle.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: PASSWORD, name: 'Ida' } });
      const token = reg.json().accessToken as string;
      const faucet = await idle.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: bearer(token), payload: { amount: '1' } });
      expect(faucet.statusCode).toBe(202);
      const res = await idle.app.inject({ method: 'DELETE', url: '/api/v1/me', headers: bearer(token), payload: { currentPassword: PASSWORD } });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('account_has_pending_transfers');
      expect((await idle.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) })).json().email).toBe(email);
    } finally {
      await idle.close();
    }
  });
});

describe('DELETE /me and what the counterparties hold', () => {
  it('cancels the open payment requests the deleted user made or was asked to pay: nobody pays into a deleted account', async () => {
    const alma = await signUp();
    const bob = await createUser(t.deps, { name: 'Bob Boyd' });
    const asked = await call('POST', '/intents', alma.token, { payer: bob.email, amount: '3', memo: 'for the flat at 3B Baker Street' });
    expect(asked.statusCode, asked.body).toBe(201);
    const owed = await call('POST', '/intents', bob.token, { payer: alma.email, amount: '2' });
    expect(owed.statusCode, owed.body).toBe(201);
    expect((await call('DELETE', '/me', alma.token, { currentPassword: PASSWORD })).statusCode).toBe(204);

    const bobFaucet = await call('POST', '/wallets/faucet', bob.token, { amount: '5' });
    await waitFinal(t.deps, [bobFaucet.json().id]);
    const pay = await call('POST', `/intents/${asked.json().id}/fund`, bob.token);
    expect(pay.statusCode, pay.body).toBe(409);
    expect(pay.json()).toMatchObject({ code: 'intent_not_open' });
    expect((await call('GET', `/intents/${asked.json().id}`, bob.token)).json()).toMatchObject({ status: 'cancelled', memo: null });
    expect((await call('GET', `/intents/${owed.json().id}`, bob.token)).json()).toMatchObject({ status: 'cancelled' });
  });

  it('releases the basenames the deleted user held: the name no longer reaches the deleted wallet and is free to register', async () => {
    const alma = await signUp();
    const bob = await createUser(t.deps, { name: 'Bob Boyd' });
    const faucet = await call('POST', '/wallets/faucet', alma.token, { amount: '1' });
    await waitFinal(t.deps, [faucet.json().id]);
    const wallet = await t.deps.services.wallets.ensureUserWallet(t.deps.db, alma.id);
    const name = `alma-${n}-${Date.now() % 100000}`;
    const reg = await call('POST', '/basenames', alma.token, { name, walletId: wallet.id });
    expect(reg.statusCode, reg.body).toBe(201);
    await waitFinal(t.deps, [reg.json().transaction.id]);
    expect((await call('DELETE', '/me', alma.token, { currentPassword: PASSWORD })).statusCode).toBe(204);

    const bobFaucet = await call('POST', '/wallets/faucet', bob.token, { amount: '5' });
    await waitFinal(t.deps, [bobFaucet.json().id]);
    const send = await call('POST', '/transfers', bob.token, { to: name, amount: '1' });
    expect(send.statusCode, send.body).toBe(422);
    expect(send.json().code).toBe('recipient_not_found');
    expect((await call('GET', `/basenames/check?name=${name}`)).json()).toMatchObject({ available: true });
  });
  it('the counterparties\' notifications no longer name the deleted user nor carry their memo', async () => {
    const alma = await signUp();
    const bob = await createUser(t.deps, { name: 'Bob Boyd' });
    const faucet = await call('POST', '/wallets/faucet', alma.token, { amount: '1' });
    await waitFinal(t.deps, [faucet.json().id]);
    const paid = await call('POST', '/transfers', alma.token, { to: bob.email, amount: '1' });
    await waitFinal(t.deps, [paid.json().id]);
    expect((await call('POST', '/intents', alma.token, { payer: bob.email, amount: '3', memo: 'for the flat at 3B Baker Street' })).statusCode).toBe(201);
    await t.deps.events.drain();
    const before = JSON.stringify((await call('GET', '/notifications', bob.token)).json());
    expect(before).toContain('Alma Secret');
    expect(before).toContain('Baker Street');

    expect((await call('DELETE', '/me', alma.token, { currentPassword: PASSWORD })).statusCode).toBe(204);
    await t.deps.events.drain();
    const after = (await call('GET', '/notifications', bob.token)).json();
    expect(JSON.stringify(after)).not.toMatch(/Alma|Baker Street/);
    const bodies = after.items.map((x: { type: string; body: string }) => `${x.type}: ${x.body}`);
    expect(bodies, JSON.stringify(bodies)).toContainEqual(expect.stringMatching(/^payment_received: You received 1 USDC from \u2068?0x[0-9a-f]{4}…[0-9a-f]{4}\u2069?\.$/));
    expect(bodies.filter((b: string) => b.startsWith('payment_request'))).toEqual([]);
    const stored = await t.deps.db.selectFrom('notifications').select(['title', 'body', 'render', 'data']).where('user_id', '=', bob.id).execute();
    expect(JSON.stringify(stored)).not.toMatch(/Alma|Baker Street/);
  });
  it('a payment request being funded while the account is deleted: one waits for the other, no deadlock', async () => {
    const alma = await signUp();
    const bob = await createUser(t.deps, { name: 'Bob Boyd' });
    const asked = (await call('POST', '/intents', alma.token, { payer: bob.email, amount: '1' })).json();
    // stands in for POST /intents/:id/fund: it locks the request, then inserting the payment to Alma key-share-locks her row
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const funding = t.deps.db.transaction().execute(async (trx) => {
      await sql`select id from payment_intents where id = ${asked.id} for no key update`.execute(trx);
      locked();
      await held;
      await sql`select id from users where id = ${alma.id} for key share`.execute(trx);
    });
    await isLocked;
    const deleting = call('DELETE', '/me', alma.token, { currentPassword: PASSWORD });
    // the deletion's transaction is waiting on a lock
    for (let i = 0; i < 200; i++) {
      const waiting = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(t.deps.db);
      if (waiting.rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    release();
    await funding;
    const res = await deleting;
    expect(res.statusCode, res.body).toBe(204);
  });
});
