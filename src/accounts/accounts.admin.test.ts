import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { inject } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../test/helpers/factories.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { waitFor } from '../platform/embedded/embedded.ports.js';
import { runAdminCommand } from './accounts.admin.js';
import { COUNTRY_CODES, isCountryCode } from './accounts.country.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000' } });
});
afterAll(async () => t?.close());

const KYC = { fullName: 'Kim Park', dateOfBirth: '1990-04-01', country: 'KR', documentType: 'passport', documentNumber: 'M12345678' };
const post = (url: string, headers: Record<string, string>, payload?: object) => t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers, payload });

describe('KYC', () => {
  it('a user submits details (pending) and an admin with 2FA decides', async () => {
    const user = await createUser(t.deps);
    const admin = await createUser(t.deps, { role: 'admin' });
    const submit = await post('/me/kyc', user.auth, KYC);
    expect(submit.statusCode).toBe(202);
    expect(submit.json()).toEqual({ kycStatus: 'pending' });
    expect((await post('/me/kyc', user.auth, KYC)).json().code).toBe('kyc_already_pending');

    const decide = await post(`/admin/users/${user.id}/kyc`, admin.auth, { status: 'verified' });
    expect(decide.statusCode).toBe(200);
    expect(decide.json()).toMatchObject({ id: user.id, kycStatus: 'verified' });
    expect(JSON.stringify(decide.json())).not.toContain('M12345678');
    expect((await post(`/admin/users/${user.id}/kyc`, admin.auth, { status: 'rejected' })).json()).toMatchObject({ status: 409, code: 'kyc_not_pending' });
    expect((await post('/me/kyc', user.auth, KYC)).json().code).toBe('kyc_already_verified');

    await t.deps.events.drain();
    const decided = await t.deps.db.selectFrom('domain_events').selectAll().where('type', '=', 'auth.kyc_decided').where('actor_id', '=', admin.id).executeTakeFirstOrThrow();
    expect(decided).toMatchObject({ user_ids: [user.id], data: { status: 'verified' } });
  });

  it('admins list pending submissions with their details; users cannot', async () => {
    const admin = await createUser(t.deps, { role: 'admin' });
    const users = [await createUser(t.deps), await createUser(t.deps), await createUser(t.deps)];
    for (const u of users) await post('/me/kyc', u.auth, { ...KYC, fullName: `Person ${u.id.slice(-4)}` });
    const ids = new Set(users.map((u) => u.id));
    const seen: Array<{ user: { id: string }; details: { fullName: string } }> = [];
    let cursor: string | null = null;
    do {
      const res: Awaited<ReturnType<typeof t.app.inject>> = await t.app.inject({ method: 'GET', url: `/api/v1/admin/kyc?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: admin.auth });
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items);
      cursor = res.json().nextCursor;
    } while (cursor);
    const mine = seen.filter((i) => ids.has(i.user.id));
    expect(mine).toHaveLength(3);
    expect(mine[0].details.fullName).toBe(`Person ${mine[0].user.id.slice(-4)}`);
    const asUser = await t.app.inject({ method: 'GET', url: '/api/v1/admin/kyc', headers: users[0].auth });
    expect(asUser.statusCode).toBe(403);
  });

  it('a rejected user may submit again', async () => {
    const user = await createUser(t.deps);
    const admin = await createUser(t.deps, { role: 'admin' });
    await post('/me/kyc', user.auth, KYC);
    await post(`/admin/users/${user.id}/kyc`, admin.auth, { status: 'rejected', reason: 'blurry photo' });
    expect((await post('/me/kyc', user.auth, KYC)).statusCode).toBe(202);
  });

  it('an admin cannot decide their own KYC (403 kyc_self_review, nothing changed); another admin can', async () => {
    const admin = await createUser(t.deps, { role: 'admin' });
    const other = await createUser(t.deps, { role: 'admin' });
    expect((await post('/me/kyc', admin.auth, KYC)).statusCode).toBe(202);
    for (const status of ['verified', 'rejected']) {
      const self = await post(`/admin/users/${admin.id}/kyc`, admin.auth, { status });
      expect(self.statusCode).toBe(403);
      expect(self.headers['content-type']).toContain('application/problem+json');
      expect(self.json()).toMatchObject({ status: 403, code: 'kyc_self_review', title: 'You cannot review your own identity' });
    }
    const row = await t.deps.db.selectFrom('users').select(['kyc_status', 'kyc_details']).where('id', '=', admin.id).executeTakeFirstOrThrow();
    expect(row.kyc_status).toBe('pending');
    expect(row.kyc_details).not.toHaveProperty('decidedBy');
    await t.deps.events.drain();
    const decided = await t.deps.db.selectFrom('domain_events').select('id').where('type', '=', 'auth.kyc_decided').where('actor_id', '=', admin.id).execute();
    expect(decided).toEqual([]);
    const byOther = await post(`/admin/users/${admin.id}/kyc`, other.auth, { status: 'verified' });
    expect(byOther.statusCode).toBe(200);
    expect(byOther.json()).toMatchObject({ id: admin.id, kycStatus: 'verified' });
  });

  it('tells kyc_self_review in the reader\'s language', async () => {
    const admin = await createUser(t.deps, { role: 'admin' });
    await post('/me/kyc', admin.auth, KYC);
    const res = await post(`/admin/users/${admin.id}/kyc`, { ...admin.auth, 'accept-language': 'fr' }, { status: 'verified' });
    expect(res.json()).toMatchObject({ status: 403, code: 'kyc_self_review', title: 'Vous ne pouvez pas examiner votre propre identité' });
  });

  it('validates the submission', async () => {
    const user = await createUser(t.deps);
    const res = await post('/me/kyc', user.auth, { ...KYC, country: 'france', dateOfBirth: '01/04/1990' });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.country', 'body.dateOfBirth']);
    // names and numbers are one printable line, as account names are
    const controls = await post('/me/kyc', user.auth, { ...KYC, fullName: 'Kim\u0007 Park', documentNumber: 'M123\n45678' });
    expect(controls.statusCode).toBe(422);
    expect(controls.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.documentNumber', 'body.fullName']);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth })).json().kycStatus).toBe('none');
  });

  it.each([
    ['in the future', () => new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10), 'must not be in the future'],
    ['far in the future', () => '2999-01-01', 'must not be in the future'],
    ['more than 130 years ago', () => '1800-01-01', 'must be within the last 130 years'],
  ])('refuses a date of birth %s and changes nothing', async (_what, dateOfBirth, message) => {
    const user = await createUser(t.deps);
    const res = await post('/me/kyc', user.auth, { ...KYC, dateOfBirth: dateOfBirth() });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'body.dateOfBirth', message }] });
    const row = await t.deps.db.selectFrom('users').select(['kyc_status', 'kyc_details']).where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ kyc_status: 'none', kyc_details: null });
  });

  it('tells the date rules in the reader\'s language, with their numbers', async () => {
    const user = await createUser(t.deps);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/me/kyc', headers: { ...user.auth, 'accept-language': 'de' }, payload: { ...KYC, dateOfBirth: '1800-01-01', country: 'de' } });
    expect(res.statusCode).toBe(422);
    const byField = Object.fromEntries(res.json().errors.map((e: { field: string; message: string }) => [e.field, e.message]));
    expect(byField).toEqual({ 'body.dateOfBirth': 'muss innerhalb der letzten 130 Jahre liegen', 'body.country': 'muss ein ISO-3166-1-Alpha-2-Code wie DE sein' });
  });

  it.each(['ZZ', 'AA', 'QM', 'QZ', 'XA', 'XX', 'EU', 'UN', 'AC', 'UK', 'SU'])('refuses %s, which is no ISO 3166-1 country, and changes nothing', async (country) => {
    const user = await createUser(t.deps);
    const res = await post('/me/kyc', user.auth, { ...KYC, country });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      code: 'validation_failed',
      errors: [{ field: 'body.country', message: 'is not an assigned ISO 3166-1 alpha-2 country code; use one like FR' }],
    });
    const row = await t.deps.db.selectFrom('users').select(['kyc_status', 'kyc_details']).where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ kyc_status: 'none', kyc_details: null });
  });

  it.each(['FR', 'GB', 'US', 'JP', 'AX', 'XK'])('accepts the country %s', async (country) => {
    const user = await createUser(t.deps);
    expect((await post('/me/kyc', user.auth, { ...KYC, country })).statusCode).toBe(202);
  });

  it('knows the 249 assigned ISO 3166-1 codes and XK, from the runtime\'s CLDR data', () => {
    // a runtime whose CLDR adds a region that is no country (as EU, UN or AC are) shows up here
    expect(COUNTRY_CODES.size).toBe(250);
    for (const code of ['AD', 'BQ', 'CW', 'SS', 'SX', 'TL', 'ZW', 'XK']) expect(isCountryCode(code), code).toBe(true);
    for (const code of ['ZZ', 'QO', 'XB', 'EZ', 'CQ', 'TA', 'DD', 'YU', 'fr']) expect(isCountryCode(code), code).toBe(false);
  });

  it('tells an unknown country in the reader\'s language', async () => {
    const user = await createUser(t.deps);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/me/kyc', headers: { ...user.auth, 'accept-language': 'ja' }, payload: { ...KYC, country: 'ZZ' } });
    expect(res.json().errors).toMatchObject([{ field: 'body.country', message: '割り当て済みの ISO 3166-1 alpha-2 国コードではありません。JP のようなコードにしてください' }]);
  });

  it('accepts a date of birth 100 years ago', async () => {
    const user = await createUser(t.deps);
    const dateOfBirth = `${new Date().getUTCFullYear() - 100}-06-15`;
    expect((await post('/me/kyc', user.auth, { ...KYC, dateOfBirth })).statusCode).toBe(202);
  });

  it('admin routes: users get 403 forbidden, admins without 2FA 403 admin_2fa_required, unknown users 404', async () => {
    const user = await createUser(t.deps);
    const admin = await createUser(t.deps, { role: 'admin' });
    const no2fa = await createUser(t.deps, { role: 'admin' });
    await t.deps.db.updateTable('users').set({ totp_enabled_at: null }).where('id', '=', no2fa.id).execute();
    expect((await post(`/admin/users/${user.id}/kyc`, user.auth, { status: 'verified' })).json()).toMatchObject({ status: 403, code: 'forbidden' });
    expect((await post(`/admin/users/${user.id}/kyc`, no2fa.auth, { status: 'verified' })).json()).toMatchObject({
      status: 403,
      code: 'admin_2fa_required',
    });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: no2fa.auth })).statusCode).toBe(200);
    const unknown = await post('/admin/users/01a205c0-0000-7000-8000-000000000000/kyc', admin.auth, { status: 'verified' });
    expect(unknown.json()).toMatchObject({ status: 404, code: 'user_not_found' });
  });
});

describe('lookups for other domains', () => {
  it('finds users by id and by email in any case', async () => {
    const user = await createUser(t.deps, { locale: 'pt' });
    const byId = await t.deps.services.accounts.findById(user.id);
    expect(byId).toMatchObject({ id: user.id, locale: 'pt' });
    expect((await t.deps.services.accounts.findByEmail(user.email.toUpperCase()))?.id).toBe(user.id);
    expect(await t.deps.services.accounts.findByEmail('nobody@example.test')).toBeNull();
  });
});

describe('npm run admin', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sp-admin-cli-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const env = () => ({ DATABASE_URL: t.deps.infra.databaseUrl, CHAIN_RPC_URL: inject('rpcUrl'), DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  async function admin(...args: string[]) {
    const lines = { out: [] as string[], err: [] as string[] };
    const code = await runAdminCommand(args, env(), { out: (l) => lines.out.push(l), err: (l) => lines.err.push(l) });
    return { code, stdout: lines.out.join('\n'), stderr: lines.err.join('\n') };
  }

  it('creates an admin who can sign in; refuses an existing email', async () => {
    const email = `root-${Date.now()}@example.test`;
    const created = await admin('create', email, '--name', 'Root Admin');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`admin created: ${email}`);
    expect(created.stdout).toContain('turn it on in Settings');
    const password = created.stdout.match(/password \(shown once[^)]*\): (\S+)/)![1];
    const row = await t.deps.db.selectFrom('users').select(['role', 'name', 'email_verified_at']).where('email', '=', email).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ role: 'admin', name: 'Root Admin' });
    expect(row.email_verified_at).not.toBeNull();
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    expect(login.statusCode).toBe(200);
    expect(login.json().user.role).toBe('admin');
    expect(await admin('create', email)).toMatchObject({ code: 1, stderr: expect.stringContaining('use "promote"') });
    expect(await admin('promote', 'nobody@example.test')).toMatchObject({ code: 1, stderr: expect.stringContaining('no account') });
    expect(await admin('frobnicate', 'x@example.test')).toMatchObject({ code: 2, stderr: expect.stringContaining('usage') });
  });

  it('prints its usage on stdout when asked (exit 0), and on stderr after an argument it does not know (exit 2)', async () => {
    for (const help of [['--help'], ['-h'], ['help'], ['create', 'x@example.test', '--help']]) {
      expect(await admin(...help)).toEqual({ code: 0, stdout: expect.stringMatching(/^usage: npm run admin -- create <email>/), stderr: '' });
    }
    const email = `typo-${Date.now()}@example.test`;
    expect(await admin('create', email, '--nmae', 'Root Admin')).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^streakpets: Unknown option '--nmae'\nusage: /) });
    expect(await admin('create', email, '--name')).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^streakpets: Option '--name <value>' argument missing\nusage: /) });
    expect(await admin('create', email, 'Root Admin')).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^usage: /) });
    expect(await t.deps.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()).toBeUndefined();
  });

  it('holds the email and name to the API\'s rules: exits 2 naming the argument, and creates nothing', async () => {
    const count = async () => (await t.deps.db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n;
    const before = await count();
    const evil = await admin('create', `evil-${Date.now()}@example.test`, '--name', 'evil\nname\u202e');
    expect(evil).toEqual({ code: 2, stdout: '', stderr: 'streakpets: invalid --name: must be printable text on one line' });
    expect(await admin('create', `blank-${Date.now()}@example.test`, '--name', '  ')).toMatchObject({ code: 2, stderr: 'streakpets: invalid --name: Required.' });
    // an address the sign-in endpoint refuses (a one-letter top-level domain) would make an admin who can never sign in
    const unusable = `root-${Date.now()}@example.c`;
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: unusable, password: 'whatever it is' } });
    expect(login.json()).toMatchObject({ status: 422, errors: [{ field: 'body.email', message: 'Invalid email address' }] });
    expect(await admin('create', unusable)).toEqual({ code: 2, stdout: '', stderr: 'streakpets: invalid email: Invalid email address' });
    expect(await admin('promote', 'line\nbreak@example.test')).toMatchObject({ code: 2, stderr: 'streakpets: invalid email: Invalid email address' });
    expect(await count()).toBe(before);
  });

  it('reset-2fa turns off the 2FA of someone who lost the authenticator and the recovery codes, signs every session out and tells the owner', async () => {
    const user = await createUser(t.deps, { twoFactor: true });
    await t.deps.db.insertInto('recovery_codes').values({ id: uuidv7(), user_id: user.id, code_hash: 'f'.repeat(64) }).execute();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth })).statusCode).toBe(200);
    const reset = await admin('reset-2fa', user.email.toUpperCase());
    expect(reset).toMatchObject({ code: 0, stdout: expect.stringContaining(`two-factor authentication turned off for ${user.email}`) });
    const row = await t.deps.db.selectFrom('users').select(['totp_enabled_at', 'totp_secret']).where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ totp_enabled_at: null, totp_secret: null });
    expect(await t.deps.db.selectFrom('recovery_codes').select('id').where('user_id', '=', user.id).execute()).toEqual([]);
    // the command ran on its own connections: the app forgets the session when the database's notice reaches it
    const signedOut = async () => (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth })).statusCode === 401;
    expect(await waitFor(signedOut, 5000)).toBe(true);
    const told = await t.deps.db.selectFrom('domain_events').select(['type', 'data']).where(sql<boolean>`${user.id} = any(user_ids)`).where('type', 'in', ['auth.2fa_disabled', 'auth.session_revoked']).execute();
    expect(told.map((e) => e.type).sort()).toEqual(['auth.2fa_disabled', 'auth.session_revoked']);
    expect(await admin('reset-2fa', user.email)).toMatchObject({ code: 1, stderr: expect.stringContaining('has no two-factor authentication') });
    expect(await admin('reset-2fa', 'nobody@example.test')).toMatchObject({ code: 1, stderr: expect.stringContaining('no account') });
  });

  it('runs as the package script and promotes an existing user', async () => {
    const user = await createUser(t.deps);
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/accounts/accounts.cli.ts', 'promote', user.email], { env: { ...process.env, ...env() } });
    expect(stdout).toContain(`promoted to admin: ${user.email}`);
    expect((await t.deps.db.selectFrom('users').select('role').where('id', '=', user.id).executeTakeFirstOrThrow()).role).toBe('admin');
  }, 30_000);
});
