import { randomInt } from 'node:crypto';
import type { Address } from 'viem';
import { tokenBalance } from '../chain/chain.deploy.js';
import type { ChatCommand, ChatCommandContext, ChatCommandReply } from '../chat/chat.commands.js';
import { ChatCommandUsageError } from '../chat/chat.commands.js';
import { withTransaction } from '../platform/db/db.transaction.js';
import { AppError } from '../platform/http/http.errors.js';
import { isolatedText } from '../platform/http/http.text.js';
import { translate } from '../platform/i18n/i18n.service.js';
import { formatAmount, formatApprox, isValidAmount, parseAmount } from './wallets.amounts.js';
import { requireChain } from './wallets.chain.js';
import type { WalletsCore } from './wallets.core.js';
import { transactionDto } from './wallets.dto.js';
import { partyNames } from './transactions.service.js';
import { balancesOf, ensureUserWallet } from './wallets.service.js';
import { walletsRepo } from './wallets.repo.js';
import { transactionsRepo } from './transactions.repo.js';
import { payConfirmationsRepo } from './payconfirmations.repo.js';
import { estimateTransferFee } from './transfers.broadcast.js';
import { checkToken, previewRecipient, queueTransfer, resolveRecipient, type Recipient } from './transfers.service.js';
import { createIntent, fundIntent, getIntent } from './intents.service.js';
import { MEMO_MAX_CHARS } from './wallets.schema.js';

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const CONFIRM_MINUTES = 5;
const unknownCode = (code: string) => new ChatCommandUsageError('wallets.chat.confirmUnknown', { code, minutes: CONFIRM_MINUTES }, false);
const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

/** Runs a command body, turning domain refusals into the chat's localized replies (the usage line only for malformed input). */
async function guarded(fn: () => Promise<ChatCommandReply>): Promise<ChatCommandReply> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError && err.status < 500) throw new ChatCommandUsageError(`errors.${err.code}.detail`, err.params, err.code === 'validation_failed');
    throw err;
  }
}

/** Locales whose numbers group thousands with a point (1.000 is a thousand in German). */
const groupsWithPoint = new Map<string, boolean>();
function pointGroupsThousands(locale: string): boolean {
  let known = groupsWithPoint.get(locale);
  if (known === undefined) {
    known = new Intl.NumberFormat(locale).formatToParts(1234567).some((p) => p.type === 'group' && p.value === '.');
    groupsWithPoint.set(locale, known);
  }
  return known;
}

/**
 * A decimal comma as most of our languages write it ("1,5") is read as a point. A comma followed by
 * exactly three digits ("1,000", "1,000,000", "1,000.50") is refused as ambiguous: it may be a
 * thousands separator or a decimal comma, and guessing could send a thousand times less or more than
 * meant. A point is the decimal point, except where the reader's language groups thousands with it
 * (German, Spanish, Italian, Portuguese): there a number grouped that way ("1.000", "12.345.678",
 * "1.000,50") is refused as ambiguous too.
 */
function decimalPoint(value: string, locale: string): string {
  const ambiguous = (key: string) => new ChatCommandUsageError(key, { value: value.slice(0, 40) });
  if (/^[\d.,]+$/.test(value) && /,\d{3}(?!\d)/.test(value)) throw ambiguous('wallets.chat.ambiguousAmount');
  if (pointGroupsThousands(locale) && /^[1-9]\d{0,2}(\.\d{3})+(,\d*)?$/.test(value)) throw ambiguous('wallets.chat.ambiguousPointAmount');
  return /^\d+,(\d{1,2}|\d{4,6})$/.test(value) ? value.replace(',', '.') : value;
}

function amountArg(raw: string | undefined, decimals: number, locale: string): bigint {
  const value = raw === undefined ? undefined : decimalPoint(raw, locale);
  if (!value || !isValidAmount(value)) throw new ChatCommandUsageError('wallets.chat.invalidAmount', { value: (raw ?? '').slice(0, 40) });
  return parseAmount(value, decimals);
}

const HISTORY = { min: 1, max: 20, default: 5 };

/** /history's count: a whole number from 1 to 20, 5 when left out; anything else is answered with the range and the usage line. */
function historyCount(raw: string | undefined): number {
  if (raw === undefined) return HISTORY.default;
  const n = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= HISTORY.min && n <= HISTORY.max)) throw new ChatCommandUsageError('wallets.chat.historyCount', { value: raw.slice(0, 40), min: HISTORY.min, max: HISTORY.max });
  return n;
}

function statusWord(locale: string, status: string) {
  return translate(locale, `wallets.status.${status}`);
}

/** The wallet chat commands: /wallet /pay /confirm /cancel /history /status /request /deposit. */
export function walletCommands(core: WalletsCore): ChatCommand[] {
  const cmd = (name: string, run: (args: string[], ctx: ChatCommandContext) => Promise<ChatCommandReply>): ChatCommand => ({
    name,
    helpKey: `wallets.commands.${name}.help`,
    usageKey: `wallets.commands.${name}.usage`,
    run: (args, ctx) => guarded(() => run(args, ctx)),
  });

  return [
    cmd('wallet', async (_args, ctx) => {
      const mine = await ensureUserWallet(core, core.deps.db, ctx.user.id, ctx);
      const pet = ctx.petId ? await walletsRepo.petWallet(core.deps.db, ctx.petId) : undefined;
      const lines: string[] = [];
      for (const [label, w] of [['labelUser', mine], ['labelPet', pet && pet.user_id === ctx.user.id ? pet : undefined]] as const) {
        if (!w) continue;
        const b = await balancesOf(core, w.address);
        lines.push(translate(ctx.locale, 'wallets.chat.balance', { label: translate(ctx.locale, `wallets.chat.${label}`), address: short(w.address), amount: b.token.amount, token: b.token.symbol, gas: formatApprox(b.gas.base, 18) }));
      }
      return { content: lines.join('\n'), sender: 'system', metadata: { walletId: mine.id } };
    }),

    cmd('pay', async (args, ctx) => {
      const chain = requireChain(core.chain);
      const [to, amountText, token] = args;
      if (!to || !amountText) throw new ChatCommandUsageError('wallets.chat.missingArgs');
      checkToken(core, token);
      const amount = amountArg(amountText, chain.token.decimals, ctx.locale);
      const from = await ensureUserWallet(core, core.deps.db, ctx.user.id, ctx);
      // who the payment reaches, as the web's review tells it (GET /transfers/recipient): a wallet of
      // one of my pets is named after the pet, not after me; the wallet it comes from is refused
      const [recipient, held] = await Promise.all([
        previewRecipient(core, ctx, to, from.id),
        tokenBalance(core.deps.chain, chain.token.address, from.address as Address),
      ]);
      // no confirmation card for what the wallet plainly cannot pay (the accept still checks what is spendable)
      if (held < amount) {
        throw new ChatCommandUsageError('errors.insufficient_balance.detail', { available: formatAmount(held, chain.token.decimals), token: chain.token.symbol }, false);
      }
      const fee = formatApprox(await estimateTransferFee(core, from.address, recipient.address, amount), 18);
      // the payee's name beside the address, so the payer checks who they pay
      // (names isolated: a right-to-left name cannot reorder the amount and address around it)
      const petName = recipient.petName ? isolatedText(recipient.petName) : null;
      const name = recipient.name ? isolatedText(recipient.name) : null;
      const payee = petName ? (name ? translate(ctx.locale, 'wallets.chat.petPayee', { pet: petName, name }) : petName) : name;
      const code = Array.from({ length: 6 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
      await payConfirmationsRepo.insert(core.deps.db, {
        code,
        userId: ctx.user.id,
        request: { to: recipient.address, via: recipient.via, label: to, amount: amount.toString(), fromWalletId: from.id },
        expiresAt: new Date(Date.now() + CONFIRM_MINUTES * 60_000),
      });
      return {
        content: translate(ctx.locale, 'wallets.chat.payPreview', {
          amount: formatAmount(amount, chain.token.decimals), token: chain.token.symbol, to, address: payee ? translate(ctx.locale, 'wallets.chat.payeeWithAddress', { name: payee, address: short(recipient.address) }) : short(recipient.address), fee, code, minutes: CONFIRM_MINUTES,
        }),
        sender: 'system',
        metadata: { confirmationCode: code },
      };
    }),

    cmd('confirm', async (args, ctx) => {
      const chain = requireChain(core.chain);
      const code = (args[0] ?? '').toUpperCase();
      if (!code) throw new ChatCommandUsageError('wallets.chat.missingArgs');
      const row = await withTransaction(core.deps.db, async (trx) => {
        const pending = await payConfirmationsRepo.spend(trx, ctx.user.id, code);
        if (!pending) throw unknownCode(code);
        const request = pending as { to: string; via?: Recipient['via']; label: string; amount: string; fromWalletId: string };
        const from = (await walletsRepo.byId(trx, request.fromWalletId))!;
        // the reviewed address, recorded as reached the way the payer named it
        const to = { ...(await resolveRecipient(core, trx, request.to)), via: request.via ?? 'address' };
        const queued = await queueTransfer(core, trx, { from, to, amount: BigInt(request.amount), type: 'transfer', userId: ctx.user.id, metadata: { via: 'chat' }, context: ctx });
        return { queued, label: request.label };
      });
      const dto = transactionDto(core, row.queued);
      return {
        content: translate(ctx.locale, 'wallets.chat.payQueued', { amount: dto.amount, token: chain.token.symbol, to: row.label, id: dto.id }),
        sender: 'system',
        metadata: { transactionId: dto.id },
      };
    }),

    cmd('cancel', async (args, ctx) => {
      const code = (args[0] ?? '').toUpperCase();
      if (!code) throw new ChatCommandUsageError('wallets.chat.missingArgs');
      // spent like a confirmed code: a later /confirm of it finds nothing waiting, in every browser
      if (!(await payConfirmationsRepo.spend(core.deps.db, ctx.user.id, code))) throw unknownCode(code);
      return { content: translate(ctx.locale, 'wallets.chat.payCancelled', { code }), sender: 'system', metadata: { cancelledCode: code } };
    }),

    cmd('history', async (args, ctx) => {
      const n = historyCount(args[0]);
      const addresses = (await walletsRepo.listByUser(core.deps.db, ctx.user.id)).map((w) => w.address);
      const rows = await transactionsRepo.list(core.deps.db, { addresses, userIds: [ctx.user.id], includeGas: false }, n, null);
      if (!rows.length) return { content: translate(ctx.locale, 'wallets.chat.historyEmpty'), sender: 'system' };
      const page = rows.slice(0, n);
      const names = await partyNames(core, page);
      // the day as the reader writes dates ("25 nov. 2026"), in UTC as the ledger keeps it
      const day = new Intl.DateTimeFormat(ctx.locale, { dateStyle: 'medium', timeZone: 'UTC' });
      const lines = page.map((r) => {
        const d = transactionDto(core, r, names);
        const outgoing = addresses.includes(r.from_address);
        return translate(ctx.locale, 'wallets.chat.historyLine', {
          date: day.format(new Date(d.timestamp)),
          sign: outgoing ? '−' : '+',
          amount: d.amount,
          token: d.token,
          counterparty: isolatedText(outgoing ? (d.toName ?? short(d.to)) : (d.fromName ?? short(d.from))),
          status: statusWord(ctx.locale, d.status),
        });
      });
      return { content: lines.join('\n'), sender: 'system' };
    }),

    cmd('status', async (args, ctx) => {
      const ref = args[0] ?? '';
      if (!ref) throw new ChatCommandUsageError('wallets.chat.missingArgs');
      const tx = await core.deps.services.wallets.getTransaction(ctx, ref).catch((err) => {
        if (err instanceof AppError && err.status === 404) return null;
        throw err;
      });
      if (tx) {
        const key = tx.status === 'confirmed' ? 'wallets.chat.statusConfirmed' : 'wallets.chat.statusOther';
        return {
          content: translate(ctx.locale, key, {
            amount: tx.amount, token: tx.token, to: short(tx.to), status: statusWord(ctx.locale, tx.status), block: tx.blockNumber, fee: tx.gasFee ? formatApprox(tx.gasFee, 18) : '0',
          }),
          sender: 'system',
          metadata: { transactionId: tx.id },
        };
      }
      const intent = /^[0-9a-f-]{36}$/i.test(ref)
        ? await getIntent(core, ctx, ref).catch((err) => {
            if (err instanceof AppError && err.status === 404) return null;
            throw err;
          })
        : null;
      if (!intent) throw new ChatCommandUsageError('wallets.chat.notFound', { ref: ref.slice(0, 80) }, false);
      return {
        content: translate(ctx.locale, 'wallets.chat.intentStatus', { id: intent.id, amount: intent.amount, token: intent.token, payer: intent.payer, status: translate(ctx.locale, `wallets.intentStatus.${intent.status}`) }),
        sender: 'system',
        metadata: { intentId: intent.id },
      };
    }),

    cmd('request', async (args, ctx) => {
      const chain = requireChain(core.chain);
      const [payer, amountText, ...memo] = args;
      if (!payer || !amountText) throw new ChatCommandUsageError('wallets.chat.missingArgs');
      const amount = formatAmount(amountArg(amountText, chain.token.decimals, ctx.locale), chain.token.decimals);
      const note = memo.length ? memo.join(' ') : undefined;
      // refused as the API refuses it, never cut: the payer would read a memo the requester did not write
      if (note && note.length > MEMO_MAX_CHARS) throw new ChatCommandUsageError('wallets.chat.memoTooLong', { max: MEMO_MAX_CHARS });
      const intent = await createIntent(core, ctx, { payer, amount, memo: note });
      return { content: translate(ctx.locale, 'wallets.chat.requestCreated', { payer, amount: intent.amount, token: intent.token, id: intent.id }), sender: 'system', metadata: { intentId: intent.id } };
    }),

    cmd('deposit', async (args, ctx) => {
      const id = args[0] ?? '';
      if (!id) throw new ChatCommandUsageError('wallets.chat.missingArgs');
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw new ChatCommandUsageError('wallets.chat.notFound', { ref: id.slice(0, 40) }, false);
      const intent = await fundIntent(core, ctx, id);
      return { content: translate(ctx.locale, 'wallets.chat.depositQueued', { id: intent.id, amount: intent.amount, token: intent.token }), sender: 'system', metadata: { intentId: intent.id, transactionId: intent.transactionId } };
    }),
  ];
}
