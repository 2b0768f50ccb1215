import { readFileSync } from 'node:fs';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../platform/db/db.transaction.js';
import type { DomainEvent } from '../platform/events/events.bus.js';
import { PRODUCERS } from './notifications.producers.js';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { startSmtpServer, type TestSmtpServer } from '../../test/helpers/smtp.js';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';

const APP = 'https://pets.example.test';
let smtp: TestSmtpServer;
let t: TestApp;
let alice: TestUser;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestApp({ env: { SMTP_URL: smtp.url, PUBLIC_URL: APP } });
  alice = await createUser(t.deps, { name: 'Alice' });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

/** A confirmed payment of 7.25 USDC from Alice to the user, as the wallets domain records it; dispatched. */
async function paid(to: TestUser): Promise<void> {
  const hash = `0x${'ab'.repeat(32)}`;
  await withTransaction(t.deps.db, (trx) =>
    t.deps.events.record(trx, {
      type: 'transfer.confirmed',
      actorId: alice.id,
      userIds: [alice.id, to.id],
      data: {
        transactionId: uuidv7(), hash, fromUserId: alice.id, toUserId: to.id, from: `0x${'1'.repeat(40)}`, to: `0x${'2'.repeat(40)}`,
        amount: '7.25', token: 'USDC', type: 'transfer', status: 'confirmed', blockNumber: '9', gasUsed: '1', gasFee: '0',
      },
    }),
  );
  await t.deps.events.drain();
}

const queued = async (user: TestUser) => t.deps.db.selectFrom('notification_emails').select(['category', 'sent_at']).where('user_id', '=', user.id).execute();
const mailsTo = (user: TestUser) => smtp.mails.filter((m) => m.to.includes(user.email));
const api = (user: TestUser, method: 'GET' | 'PUT', payload?: object) =>
  t.app.inject({ method, url: '/api/v1/notifications/email-preferences', headers: user.auth, payload });

/** Waits until a mail to `witness` (queued after the others) has arrived, so the jobs of the others have run too. */
async function afterAllMails(witness: TestUser): Promise<void> {
  await paid(witness);
  await smtp.waitFor(witness.email);
  await new Promise((r) => setTimeout(r, 300));
}

describe('notifications by email', () => {
  it('mails a payment received to a verified user once, in their language, with plain links and no secrets; a second one within the window waits in the app', async () => {
    const bob = await createUser(t.deps, { name: 'Bob', locale: 'fr' });
    await paid(bob);
    const mail = await smtp.waitFor(bob.email);
    expect(mail.subject).toBe('StreakPets : Paiement reçu');
    expect(mail.text).toContain('Bonjour Bob,');
    expect(mail.text).toContain('Vous avez reçu 7,25 USDC.');
    // the payer's display name (their own words) stays in the app, out of the mail
    expect(mail.raw).not.toContain('Alice');
    expect(mail.text).toContain('« Argent reçu »');
    expect(mail.links).toEqual([`${APP}/notifications`, `${APP}/settings`]);
    expect(mail.raw).not.toContain('abababab');
    expect(mail.raw).not.toContain('token=');

    await paid(bob);
    await afterAllMails(await createUser(t.deps));
    expect(mailsTo(bob)).toHaveLength(1);
    expect(await queued(bob)).toEqual([{ category: 'money_received', sent_at: expect.any(Date) }]);
    // a retried job (the SMTP server took the mail, the job's completion was lost) sends nothing again
    const { notification_id } = await t.deps.db.selectFrom('notification_emails').select('notification_id').where('user_id', '=', bob.id).executeTakeFirstOrThrow();
    await t.deps.services.notifications.emails.send(notification_id);
    expect(mailsTo(bob)).toHaveLength(1);
    const inbox = await t.app.inject({ method: 'GET', url: '/api/v1/notifications?type=payment_received', headers: bob.auth });
    expect(inbox.json().items).toHaveLength(2);
    // the sender's own payment_sent notification is no mail category
    expect(mailsTo(alice)).toEqual([]);
  });

  it('mails a payment request without the words of the one asking: their display name and memo stay in the app', async () => {
    const lure = 'StreakPets security: your wallet is frozen, visit wallet-unfreeze.example';
    const asker = await createUser(t.deps, { name: lure });
    const carol = await createUser(t.deps, { name: 'Carol', locale: 'de' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/intents', headers: asker.auth, payload: { payer: carol.email, amount: '3.5', memo: 'Pay now at wallet-unfreeze.example' } });
    expect(res.statusCode).toBe(201);
    await t.deps.events.drain();
    const mail = await smtp.waitFor(carol.email);
    expect(mail.text).toContain('Du hast eine neue Zahlungsanforderung über 3,5 USDC.');
    expect(mail.raw).not.toContain('unfreeze');
    expect(mail.raw).not.toContain('frozen');
    const inbox = (await t.app.inject({ method: 'GET', url: '/api/v1/notifications?type=payment_request', headers: carol.auth })).json();
    expect(inbox.items[0].body).toContain('frozen');
  });

  it('mails money received on the chain: test funds from the faucet, in Spanish', async () => {
    const lucia = await createUser(t.deps, { name: 'Lucía', locale: 'es' });
    const grant = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: { ...lucia.auth, 'idempotency-key': uuidv7() }, payload: { amount: '5' } });
    expect(grant.statusCode).toBe(202);
    const mail = await smtp.waitFor(lucia.email, undefined, 30_000);
    expect(mail.subject).toBe('StreakPets: Pago recibido');
    expect(mail.text).toContain('Hola, Lucía:');
    expect(mail.text).toMatch(/Has recibido 5(,0+)? USDC\./);
  }, 40_000);

  it('sends nothing when the user turned the category off', async () => {
    const carol = await createUser(t.deps);
    const off = await api(carol, 'PUT', { email: { moneyReceived: false } });
    expect(off.statusCode).toBe(200);
    expect(off.json().email.moneyReceived).toBe(false);
    await paid(carol);
    await afterAllMails(await createUser(t.deps));
    expect(mailsTo(carol)).toEqual([]);
    expect(await queued(carol)).toEqual([]);
  });

  it('sends nothing to a user whose email is not verified, nor to a disabled one', async () => {
    const dan = await createUser(t.deps);
    const eve = await createUser(t.deps);
    await t.deps.db.updateTable('users').set({ email_verified_at: null }).where('id', '=', dan.id).execute();
    await t.deps.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', eve.id).execute();
    expect((await api(dan, 'GET')).json()).toMatchObject({ emailVerified: false });
    await paid(dan);
    await paid(eve);
    await afterAllMails(await createUser(t.deps));
    expect([...mailsTo(dan), ...mailsTo(eve)]).toEqual([]);
    expect([...(await queued(dan)), ...(await queued(eve))]).toEqual([]);
  });

  it('a mail skipped because the user turned its category off before it went keeps no window: turned on again, the next one is mailed', async () => {
    const gus = await createUser(t.deps, { name: 'Gus' });
    const event: DomainEvent = {
      id: uuidv7(), type: 'transfer.confirmed', actorId: alice.id, userIds: [alice.id, gus.id], petId: null, context: { ip: null, userAgent: null }, createdAt: new Date(),
      data: {
        transactionId: uuidv7(), hash: `0x${'cd'.repeat(32)}`, fromUserId: alice.id, toUserId: gus.id, from: `0x${'1'.repeat(40)}`, to: `0x${'2'.repeat(40)}`,
        amount: '1', token: 'USDC', type: 'transfer', status: 'confirmed', blockNumber: '9', gasUsed: '1', gasFee: '0',
      },
    };
    // the mail is queued with the notification, and the user turns money received off before its job runs
    await withTransaction(t.deps.db, async (trx) => {
      await t.deps.services.notifications.deliver(trx, event, PRODUCERS['transfer.confirmed']!(event));
      await trx.insertInto('notification_email_preferences').values({ user_id: gus.id, category: 'money_received', enabled: false }).execute();
    });
    const skipped = () => t.deps.db.selectFrom('notification_emails').select('skipped').where('user_id', '=', gus.id).execute();
    await expect.poll(skipped, { timeout: 10_000 }).toEqual([{ skipped: 'category_off' }]);
    expect((await api(gus, 'PUT', { email: { moneyReceived: true } })).json().email.moneyReceived).toBe(true);
    // no mail went, so no window holds back the next payment's
    await paid(gus);
    await smtp.waitFor(gus.email);
    expect(mailsTo(gus)).toHaveLength(1);
  });

  it('mails every security alert whatever the choices and with no window, greeting nobody by name; the settings card says so', async () => {
    const hal = await createUser(t.deps, { name: 'Hal Secret', locale: 'fr' });
    expect((await api(hal, 'PUT', { email: { moneyReceived: false, paymentRequests: false, petCare: false, announcements: false } })).statusCode).toBe(200);
    const unverified = await createUser(t.deps);
    await t.deps.db.updateTable('users').set({ email_verified_at: null }).where('id', '=', unverified.id).execute();
    for (const type of ['auth.2fa_disabled', 'auth.password_changed']) {
      await withTransaction(t.deps.db, (trx) => t.deps.events.record(trx, { type, actorId: hal.id, userIds: [hal.id], data: {} }));
      await withTransaction(t.deps.db, (trx) => t.deps.events.record(trx, { type, actorId: unverified.id, userIds: [unverified.id], data: {} }));
      await t.deps.events.drain();
    }
    await smtp.waitFor(hal.email, (m) => m.subject.includes('Mot de passe'));
    await afterAllMails(await createUser(t.deps));
    const mails = mailsTo(hal);
    expect(mails.map((m) => m.subject).sort()).toEqual(['StreakPets : Authentification à deux facteurs désactivée', 'StreakPets : Mot de passe modifié'].sort());
    for (const mail of mails) {
      expect(mail.text).toContain('Les alertes de sécurité sont toujours envoyées par e-mail');
      expect(mail.raw).not.toContain('Hal');
      expect(mail.links).toEqual([`${APP}/notifications`]);
    }
    expect(mailsTo(unverified)).toEqual([]);
    for (const locale of ['en', 'fr', 'de', 'es', 'it', 'pt', 'ja', 'zh']) {
      const intro = (JSON.parse(readFileSync(new URL(`../../locales/${locale}.json`, import.meta.url), 'utf8')) as { web: { notificationPrefs: { intro: string } } }).web.notificationPrefs.intro;
      expect(intro, locale).toContain({ en: 'always mailed', fr: 'toujours envoyées par e-mail', de: 'immer gemailt', es: 'se envían siempre por correo', it: 'sempre inviati via email', pt: 'sempre enviados por e-mail', ja: '常にメールで送られます', zh: '始终会通过邮件发送' }[locale]);
    }
  });

  it('mails pet care alerts only once the user turned them on, in German with du', async () => {
    const fritz = await createUser(t.deps, { name: 'Fritz', locale: 'de' });
    const atRisk = async () => {
      await withTransaction(t.deps.db, (trx) => t.deps.events.record(trx, { type: 'pet.streak_at_risk', userIds: [fritz.id], petId: uuidv7(), data: { streak: 12, hoursLeft: 3, name: 'Pip' } }));
      await t.deps.events.drain();
    };
    await atRisk();
    expect(await queued(fritz)).toEqual([]);
    expect((await api(fritz, 'PUT', { email: { petCare: true } })).json().email).toEqual({ moneyReceived: true, paymentRequests: true, petCare: true, announcements: false });
    await atRisk();
    const mail = await smtp.waitFor(fritz.email);
    expect(mail.subject).toBe('StreakPets: Deine Serie mit \u2068Pip\u2069 ist in Gefahr');
    expect(mail.text).toContain('Du bekommst diese Mail, weil Mails für „Pflegehinweise für dein Haustier“ eingeschaltet sind.');
  });

  it('mails an announcement to the users who chose announcements by mail, and to nobody else', async () => {
    const admin = await createUser(t.deps, { role: 'admin' });
    const fan = await createUser(t.deps, { locale: 'ja' });
    const quiet = await createUser(t.deps);
    await api(fan, 'PUT', { email: { announcements: true } });
    const sent = await t.app.inject({ method: 'POST', url: '/api/v1/admin/announcements', headers: admin.auth, payload: { title: 'Maintenance tonight', body: 'Back at 02:00 UTC.' } });
    expect(sent.statusCode).toBe(201);
    const mail = await smtp.waitFor(fan.email, undefined, 20_000);
    expect(mail.subject).toBe('StreakPets: Maintenance tonight');
    expect(mail.text).toContain('「お知らせ」のメールがオンになっているため');
    expect(await queued(quiet)).toEqual([]);
  });
});

describe('GET/PUT /notifications/email-preferences', () => {
  it('answers the defaults (money on, pet care and announcements off), changes only what is sent, and refuses anything else with 422', async () => {
    const user = await createUser(t.deps);
    expect((await api(user, 'GET')).json()).toEqual({
      email: { moneyReceived: true, paymentRequests: true, petCare: false, announcements: false },
      emailVerified: true,
    });
    const bad = await api(user, 'PUT', { email: { moneyReceived: false, securityAlerts: false } });
    expect(bad.statusCode).toBe(422);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json()).toMatchObject({ code: 'validation_failed' });
    expect((await api(user, 'PUT', { email: { petCare: 'yes' } })).statusCode).toBe(422);
    expect((await api(user, 'PUT', { email: { petCare: true }, userId: alice.id })).statusCode).toBe(422);
    expect((await api(user, 'GET')).json().email.moneyReceived).toBe(true);
    expect((await api(user, 'PUT', { email: { paymentRequests: false } })).json().email).toEqual({ moneyReceived: true, paymentRequests: false, petCare: false, announcements: false });
    expect((await api(alice, 'GET')).json().email.paymentRequests).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/notifications/email-preferences' })).statusCode).toBe(401);
  });
});
