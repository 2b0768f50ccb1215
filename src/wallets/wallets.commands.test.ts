import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Address } from 'viem';
import { createTestApp, type TestApp } from '../../test/helpers/testApp.js';
import { createUser, type TestUser } from '../../test/helpers/factories.js';
import { ChatCommandUsageError, type ChatCommandContext } from '../chat/chat.commands.js';
import { tokenBalance } from '../chain/chain.deploy.js';
import { translate } from '../platform/i18n/i18n.service.js';
import { waitFinal, waitUntil } from './wallets.testing.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
const ctx = (user: TestUser, locale: ChatCommandContext['locale'] = 'en'): ChatCommandContext => ({
  user: { id: user.id, role: user.role, sessionId: user.sessionId },
  petId: '0190f3a0-0000-7000-8000-00000000beef',
  locale,
  ip: '127.0.0.1',
  userAgent: 'vitest',
});
const run = (name: string, args: string[], c: ChatCommandContext) => t.deps.commands.get(name)!.run(args, c);

beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_STRICT: '1000' } });
  alice = await createUser(t.deps, { name: 'Alice Adams' });
  bob = await createUser(t.deps, { name: 'Bob Builder' });
  const f = await t.app.inject({ method: 'POST', url: '/api/v1/wallets/faucet', headers: alice.auth, payload: { amount: '30' } });
  await waitFinal(t.deps, [f.json().id]);
  // the gas top-up is a separate treasury row that may confirm after the mint
  const gasRow = await waitUntil(() => t.deps.db.selectFrom('transactions').select('id').where('to_user_id', '=', alice.id).where('type', '=', 'gas').executeTakeFirst());
  await waitFinal(t.deps, [gasRow.id]);
});
afterAll(async () => t?.close());

describe('wallet chat commands', () => {
  it('registers every command with help and usage in all locales', () => {
    for (const name of ['wallet', 'pay', 'confirm', 'cancel', 'history', 'status', 'request', 'deposit']) {
      const command = t.deps.commands.get(name)!;
      expect(command, name).toBeDefined();
      for (const locale of ['en', 'fr', 'ja']) {
        expect(translate(locale, command.helpKey)).not.toBe(command.helpKey);
        expect(translate(locale, command.usageKey)).toMatch(new RegExp(`^/${name}`));
      }
    }
  });

  it('/wallet shows balances', async () => {
    const reply = await run('wallet', [], ctx(alice));
    expect(reply.content).toMatch(/^Your wallet 0x[0-9a-f]{4}…[0-9a-f]{4}: 30 USDC \(gas 0\.0*[1-9]\d{0,3} ETH\)$/);
  });

  it('/pay asks for confirmation with a fee preview; /confirm sends exactly once', async () => {
    const preview = await run('pay', [bob.email, '2.5'], ctx(alice));
    const code = preview.metadata!.confirmationCode as string;
    expect(preview.content).toMatch(new RegExp(`^Send 2\\.5 USDC to ${bob.email.replace(/[.]/g, '\\.')} \\(\u2068Bob Builder\u2069, 0x[0-9a-f]{4}…[0-9a-f]{4}\\)\\? Network fee ≈ 0\\.0*[1-9]\\d{0,3} ETH, paid by StreakPets\\. Reply /confirm ${code} within 5 minutes\\.$`));
    expect(await t.deps.db.selectFrom('transactions').select('id').where('user_id', '=', alice.id).where('type', '=', 'transfer').execute()).toHaveLength(0);
    await expect(run('confirm', [code], ctx(bob))).rejects.toBeInstanceOf(ChatCommandUsageError);
    const sent = await run('confirm', [code.toLowerCase()], ctx(alice));
    const id = sent.metadata!.transactionId as string;
    expect(sent.content).toBe(`Sending 2.5 USDC to ${bob.email}: transaction ${id} is queued. Follow it with /status ${id}.`);
    // paid to the reviewed address, recorded as reached by the email the payer typed
    const row = await t.deps.db.selectFrom('transactions').select('metadata').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.metadata).toMatchObject({ via: 'chat', recipientVia: 'email' });
    const replay = run('confirm', [code], ctx(alice));
    await expect(replay).rejects.toMatchObject({ messageKey: 'wallets.chat.confirmUnknown', params: { code, minutes: 5 }, withUsage: false });
    await waitFinal(t.deps, [id]);
    const bobWallet = await t.deps.services.wallets.ensureUserWallet(t.deps.db, bob.id);
    expect(await tokenBalance(t.deps.chain, t.deps.services.wallets.chain!.token.address, bobWallet.address as Address)).toBe(2_500_000n);
    const status = await run('status', [id], ctx(alice));
    expect(status.content).toMatch(/^2\.5 USDC → 0x[0-9a-f]{4}…[0-9a-f]{4}: confirmed in block \d+, gas fee 0\.0*[1-9]\d{0,3} ETH\.$/);
    // the preview estimated the fee at the chain's current prices: within a few percent of what was paid
    const estimated = Number(/fee ≈ ([0-9.]+) ETH/.exec(preview.content)![1]);
    const paid = Number(/gas fee ([0-9.]+) ETH/.exec(status.content)![1]);
    expect(estimated / paid).toBeGreaterThan(0.8);
    expect(estimated / paid).toBeLessThan(1.25);
    const history = await run('history', ['2'], ctx(alice));
    expect(history.content.split('\n')).toHaveLength(2);
    const today = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date());
    expect(history.content.split('\n')[0]).toBe(`${today} −2.5 USDC \u2068Bob Builder\u2069 · confirmed`);
    expect(history.content.split('\n')[1]).toBe(`${today} +30 USDC \u2068StreakPets\u2069 · confirmed`);
    // a count that is not a whole number from 1 to 20 is answered with the range and the usage line, never guessed
    for (const value of ['0', '-1', 'abc', '21', '2.5', '1e1', ' 3']) {
      await expect(run('history', [value], ctx(alice)), value).rejects.toMatchObject({ messageKey: 'wallets.chat.historyCount', params: { value, min: 1, max: 20 }, withUsage: true });
    }
    expect(translate('en', 'wallets.chat.historyCount', { value: '0', min: 1, max: 20 })).toBe('“0” is not a number of transactions to show: give a whole number from 1 to 20.');
    expect((await run('history', ['20'], ctx(alice))).content.split('\n').length).toBeGreaterThanOrEqual(2);
    expect((await run('history', [], ctx(alice))).content.split('\n').length).toBeGreaterThanOrEqual(2);
    const fr = await run('history', ['1'], ctx(alice, 'fr'));
    expect(fr.content).toBe(`${new Intl.DateTimeFormat('fr', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date())} −2,5 USDC \u2068Bob Builder\u2069 · confirmée`);
  });

  it('/pay to one of my pets\' wallets names the pet, as the web\'s review does, not me', async () => {
    const petId = (await t.app.inject({ method: 'POST', url: '/api/v1/pets', headers: alice.auth, payload: { name: 'Mochi' } })).json().id;
    const petWallet = (await t.app.inject({ method: 'POST', url: '/api/v1/wallets', headers: alice.auth, payload: { kind: 'pet', petId } })).json();
    const short = `${petWallet.address.slice(0, 6)}…${petWallet.address.slice(-4)}`;
    const preview = await run('pay', [petWallet.address, '1'], ctx(alice));
    expect(preview.content).toContain(`to ${petWallet.address} (\u2068Mochi\u2069 (pet of \u2068Alice Adams\u2069), ${short})? Network fee`);
    expect((await run('pay', [petWallet.address, '1'], ctx(alice, 'fr'))).content).toContain(`à ${petWallet.address} (\u2068Mochi\u2069 (animal appartenant à \u2068Alice Adams\u2069), ${short}) ?`);
    expect((await run('pay', [petWallet.address, '1'], ctx(alice, 'ja'))).content).toContain(`${petWallet.address}（\u2068Mochi\u2069（\u2068Alice Adams\u2069 のペット）、${short}）に`);
  });

  it('/cancel spends a prepared payment\'s code so no later /confirm sends it; only its owner can', async () => {
    const preview = await run('pay', [bob.email, '1'], ctx(alice));
    const code = preview.metadata!.confirmationCode as string;
    await expect(run('cancel', [code], ctx(bob))).rejects.toMatchObject({ messageKey: 'wallets.chat.confirmUnknown', withUsage: false });
    const cancelled = await run('cancel', [code.toLowerCase()], ctx(alice));
    expect(cancelled).toMatchObject({ content: `Payment ${code} cancelled: nothing was sent.`, metadata: { cancelledCode: code } });
    await expect(run('confirm', [code], ctx(alice))).rejects.toMatchObject({ messageKey: 'wallets.chat.confirmUnknown', params: { code } });
    await expect(run('cancel', [code], ctx(alice))).rejects.toMatchObject({ messageKey: 'wallets.chat.confirmUnknown', params: { code } });
    await expect(run('cancel', [], ctx(alice))).rejects.toMatchObject({ messageKey: 'wallets.chat.missingArgs' });
    const sent = await t.deps.db.selectFrom('transactions').select('id').where('user_id', '=', alice.id).where('type', '=', 'transfer').where('amount', '=', '1000000').execute();
    expect(sent).toHaveLength(0);
    expect(translate('de', 'wallets.chat.payCancelled', { code })).toBe(`Zahlung ${code} abgebrochen: Es wurde nichts gesendet.`);
  });

  it('/pay explains bad input in the user\'s language', async () => {
    await expect(run('pay', [bob.email, '1e5'], ctx(alice))).rejects.toMatchObject({ messageKey: 'wallets.chat.invalidAmount' });
    // a decimal comma is read as a point; a comma that may separate thousands is refused rather than guessed
    expect((await run('pay', [bob.email, '1,5'], ctx(alice, 'fr'))).content).toMatch(/^Envoyer 1,5 USDC à .*Frais de réseau ≈ 0,0*[1-9]\d{0,3} ETH/);
    for (const value of ['1,000', '12,345', '1,000,000', '1,000.50']) {
      await expect(run('pay', [bob.email, value], ctx(alice)), value).rejects.toMatchObject({ messageKey: 'wallets.chat.ambiguousAmount', params: { value }, withUsage: true });
    }
    // where a point groups thousands (German, Spanish, Italian, Portuguese) a number grouped that way is refused too; elsewhere a point is the decimal point
    for (const value of ['1.000', '12.345', '1.000.000', '1.000,50']) {
      await expect(run('pay', [bob.email, value], ctx(alice, 'de')), value).rejects.toMatchObject({ messageKey: 'wallets.chat.ambiguousPointAmount', params: { value }, withUsage: true });
    }
    await expect(run('request', [bob.email, '1.500'], ctx(alice, 'es'))).rejects.toMatchObject({ messageKey: 'wallets.chat.ambiguousPointAmount' });
    expect((await run('pay', [bob.email, '1.000'], ctx(alice))).content).toMatch(/^Send 1 USDC to /);
    expect((await run('pay', [bob.email, '0.125'], ctx(alice, 'de'))).content).toMatch(/^0,125 USDC an /);
    await expect(run('pay', [bob.email, '1234.567'], ctx(alice, 'it'))).rejects.toMatchObject({ messageKey: 'errors.insufficient_balance.detail' });
    expect(translate('de', 'wallets.chat.ambiguousPointAmount', { value: '1.000' })).toBe('„1.000“ ist mehrdeutig: Ein Punkt vor drei Ziffern kann Tausender oder Nachkommastellen abtrennen. Gib den Betrag ohne Tausendertrennzeichen ein, z. B. 1000 oder 1,5.');
    expect(translate('en', 'wallets.chat.ambiguousAmount', { value: '1,000' })).toBe('“1,000” is ambiguous: a comma before three digits may separate thousands or decimals. Type the amount without thousands separators, e.g. 1000 or 1.5.');
    // a refusal of well-formed input comes without the usage line; malformed input keeps it
    await expect(run('pay', ['nobody@example.test', '1'], ctx(alice))).rejects.toMatchObject({ messageKey: 'errors.recipient_not_found.detail', withUsage: false });
    await expect(run('pay', [alice.email, '1'], ctx(alice))).rejects.toMatchObject({ messageKey: 'errors.self_transfer.detail', withUsage: false });
    // no confirmation card for more than the wallet holds
    await expect(run('pay', [bob.email, '5000'], ctx(alice))).rejects.toMatchObject({ messageKey: 'errors.insufficient_balance.detail', params: { token: 'USDC' }, withUsage: false });
    await expect(run('pay', [bob.email], ctx(alice))).rejects.toMatchObject({ messageKey: 'wallets.chat.missingArgs' });
    expect(translate('de', 'wallets.chat.invalidAmount', { value: '1e5' })).toBe('„1e5“ ist kein Betrag: nutze eine Zahl wie 12,50 (höchstens 6 Nachkommastellen, ohne Tausendertrennzeichen).');
    expect(translate('fr', 'wallets.chat.invalidAmount', { value: '1e5' })).toBe('« 1e5 » n’est pas un montant : utilisez un nombre comme 12,50 (6 décimales au plus, sans séparateur de milliers).');
  });

  it('/pay accepts every amount its hints give as an example, in every locale', async () => {
    for (const locale of ['en', 'fr', 'es', 'de', 'it', 'pt', 'ja', 'zh'] as const) {
      const hints = ['wallets.chat.invalidAmount', 'wallets.chat.ambiguousAmount', 'wallets.chat.ambiguousPointAmount'].map((key) => translate(locale, key, { value: 'x' })).join(' ');
      const examples = hints.match(/\d+[.,]\d+|\d{4}/g)!;
      expect(examples.length, locale).toBeGreaterThanOrEqual(2);
      for (const example of examples) {
        // read as an amount: a preview, or a refusal of the amount itself (1000 is more than Alice holds)
        const outcome = await run('pay', [bob.email, example], ctx(alice, locale)).catch((err: unknown) => err as ChatCommandUsageError);
        expect('messageKey' in outcome ? outcome.messageKey : 'preview', `${locale} ${example}`).toMatch(/^(preview|errors\.insufficient_balance\.detail)$/);
      }
    }
  });

  it('/request refuses a memo longer than the API keeps, rather than cutting it', async () => {
    const long = ['a'.repeat(150), 'b'.repeat(150)];
    await expect(run('request', [alice.email, '1', ...long], ctx(bob))).rejects.toMatchObject({ messageKey: 'wallets.chat.memoTooLong', params: { max: 280 }, withUsage: true });
    expect(await t.deps.db.selectFrom('payment_intents').select('id').where('requester_id', '=', bob.id).where('memo', 'like', 'aaa%').execute()).toHaveLength(0);
    expect(translate('en', 'wallets.chat.memoTooLong', { max: 280 })).toBe('The memo is too long: at most 280 characters.');
    // at the limit it is kept whole, words joined by single spaces
    const full = ['a'.repeat(140), 'b'.repeat(139)];
    const asked = await run('request', [alice.email, '1', ...full], ctx(bob));
    const kept = await t.deps.db.selectFrom('payment_intents').select('memo').where('id', '=', asked.metadata!.intentId as string).executeTakeFirstOrThrow();
    expect(kept.memo).toBe(full.join(' '));
  });

  it('/request and /deposit move a payment request through the pipeline; /status follows it', async () => {
    const asked = await run('request', [alice.email, '1,25', 'pizza', 'night'], ctx(bob));
    const intentId = asked.metadata!.intentId as string;
    expect(asked.content).toBe(`Asked ${alice.email} for 1.25 USDC. They can pay with /deposit ${intentId}.`);
    await expect(run('deposit', ['xyz'], ctx(alice))).rejects.toMatchObject({ messageKey: 'wallets.chat.notFound', params: { ref: 'xyz' } });
    await expect(run('deposit', [], ctx(alice))).rejects.toMatchObject({ messageKey: 'wallets.chat.missingArgs' });
    // the requester sees the request (/status answers them), so is told it is theirs, not that it is invisible
    const own = run('deposit', [intentId], ctx(bob));
    await expect(own).rejects.toMatchObject({ messageKey: 'errors.intent_own_request.detail', params: { payer: alice.email }, withUsage: false });
    const ownError = (await own.catch((err: unknown) => err)) as ChatCommandUsageError;
    expect(translate('en', ownError.messageKey, ownError.params)).toBe(`This payment request is yours: only the payer, ${alice.email}, can pay it.`);
    expect(translate('fr', ownError.messageKey, ownError.params)).toBe(`Cette demande de paiement est la vôtre : seul le payeur, ${alice.email}, peut la régler.`);
    const stranger = await createUser(t.deps);
    await expect(run('deposit', [intentId], ctx(stranger))).rejects.toMatchObject({ messageKey: 'errors.intent_not_found.detail', withUsage: false });
    const paid = await run('deposit', [intentId], ctx(alice));
    expect(paid.content).toBe(`Paying request ${intentId}: 1.25 USDC is on its way.`);
    await waitUntil(async () => (await run('status', [intentId], ctx(bob))).content.endsWith(', paid.'));
    const intent = await t.deps.db.selectFrom('payment_intents').select(['status', 'memo']).where('id', '=', intentId).executeTakeFirstOrThrow();
    expect(intent).toEqual({ status: 'executed', memo: 'pizza night' });
  });
});
