import { Icon } from '../components/Icon';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import QRCode from 'qrcode';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { isolatedString } from '../bidi';
import { usePets } from '../pets';
import { Button, Card, Empty, ErrorBox, Field, fieldErrors, Spinner, useToast } from '../components/ui';
import { compareAmounts, formatAmount, readAmount, shortAddress } from '../format';
import { normalizeRecipient, obj, str, type Recipient, type Wallet } from '../model';
import { chosenSendingWallet, sendingWallets, type SendingWallet } from '../sendFrom';
import { navigate, useLocation } from '../router';
import { useAttempts, UserText, WithUserText, useWallets, useChain, Copy, AmountField } from './WalletParts';
import { TxList, type PetWalletNames } from './WalletHistory';
import { Basenames } from './WalletNames';
import { Requests } from './WalletRequests';

function AddressQr({ address }: { address: string }) {
  const { t } = useTranslation();
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    void QRCode.toDataURL(address, { margin: 1, width: 160, color: { dark: '#3b2a4a', light: '#ffffff' } }).then(setSrc);
  }, [address]);
  return src ? <img className="qr" src={src} alt={t('wallet.qrAlt')} width={160} height={160} /> : null;
}

function BalanceCard({ wallet, embedded }: { wallet: Wallet; embedded: boolean }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const toast = useToast();
  const [showQr, setShowQr] = useState(false);
  // Escape closes the QR code, as it closes the app's other pop-ups
  useEffect(() => {
    if (!showQr) return;
    const close = (e: KeyboardEvent) => e.key === 'Escape' && setShowQr(false);
    window.addEventListener('keydown', close);
    return () => window.removeEventListener('keydown', close);
  }, [showQr]);
  const attempts = useAttempts();
  const faucet = useMutation({
    mutationFn: (key: string) => api('/wallets/faucet', { body: { walletId: wallet.id }, idempotencyKey: key }),
    onSuccess: (body) => {
      const amount = str(obj(body).amount);
      toast({ title: t('wallet.faucetDone'), body: amount ? t('wallet.faucetAmount', { amount: formatAmount(amount) }) : undefined, tone: 'good' });
      void qc.invalidateQueries({ queryKey: ['wallets'] });
      void qc.invalidateQueries({ queryKey: ['transactions'] });
    },
  });
  return (
    <Card className="balance-card">
      <p className="muted">{t('wallet.balance')}</p>
      <p className="balance" data-testid="balance">
        {formatAmount(wallet.balance)} <small>{wallet.token}</small>
      </p>
      <p className="address">
        <code title={wallet.address}>{shortAddress(wallet.address)}</code>
        <Copy text={wallet.address} label={t('wallet.copyAddress')} />
        <button className="icon-btn" onClick={() => setShowQr((s) => !s)} aria-expanded={showQr} aria-label={t('wallet.showQr')}>
          <Icon name="qr" size={18} />
        </button>
      </p>
      {showQr ? <AddressQr address={wallet.address} /> : null}
      {wallet.gasBalance ? <p className="muted small">{t('wallet.gasSponsored')}</p> : null}
      {embedded ? (
        <>
          <Button variant="secondary" busy={faucet.isPending} onClick={() => attempts.run({ walletId: wallet.id }, (key) => faucet.mutateAsync(key))} data-testid="faucet">
            <Icon name="drop" size={18} /> {t('wallet.faucet')}
          </Button>
          <p className="muted small">{t('wallet.faucetHint')}</p>
        </>
      ) : null}
      {faucet.error ? <ErrorBox error={faucet.error} /> : null}
    </Card>
  );
}

/** The user's pets with their wallets (balance and address), or a button that creates one. */
function PetWallets({ wallets }: { wallets: Wallet[] }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const pets = usePets();
  const attempts = useAttempts();
  const create = useMutation({
    mutationFn: (petId: string) => api('/wallets', { body: { kind: 'pet', petId } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['wallets'] }),
  });
  if (!pets.data?.length) return null;
  return (
    <Card title={t('wallet.petWallets')}>
      <p className="muted small">{t('wallet.petWalletsHint')}</p>
      <ul className="plain-list">
        {pets.data.map((pet) => {
          const w = wallets.find((x) => x.kind === 'pet' && x.petId === pet.id);
          return (
            <li key={pet.id} className="pet-wallet" data-testid="pet-wallet">
              <strong>
                <UserText text={pet.name} />
              </strong>
              {w ? (
                <span className="pet-wallet-line">
                  {formatAmount(w.balance)} {w.token} · <code title={w.address}>{shortAddress(w.address)}</code>
                  <Copy text={w.address} label={t('wallet.copyAddress')} />
                </span>
              ) : (
                <Button variant="ghost" busy={create.isPending && create.variables === pet.id} onClick={() => attempts.run(pet.id, () => create.mutateAsync(pet.id))}>
                  <WithUserText line={(v) => t('wallet.petWalletCreate', v)} values={{ name: pet.name }} />
                </Button>
              )}
            </li>
          );
        })}
      </ul>
      {create.error ? <ErrorBox error={create.error} /> : null}
    </Card>
  );
}

/** A reviewed payment: who it reaches, the amount as the API takes it, and its note. */
interface Review {
  /** The wallet it is paid from: the user's, or one of their pets'. */
  from: SendingWallet<Wallet>;
  recipient: Recipient;
  amount: string;
  memo: string;
}

/** How a wallet the send form pays from is named: "Your wallet", or after its pet ("Mochi's wallet"). */
function useSendingLabel(): (choice: SendingWallet<Wallet>) => string {
  const { t } = useTranslation();
  return (choice) => (choice.petName === null ? t('wallet.sendFrom.user') : t('wallet.sendFrom.pet', { name: isolatedString(choice.petName) }));
}

/** The send form: from one of the user's wallets (theirs or a pet's), reviewed, then paid. */
function SendForm({ choices }: { choices: SendingWallet<Wallet>[] }) {
  const { t } = useTranslation();
  const label = useSendingLabel();
  const [fromId, setFromId] = useState<string | null>(null);
  const from = chosenSendingWallet(choices, fromId)!;
  const wallet = from.wallet;
  const qc = useQueryClient();
  const toast = useToast();
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [memo, setMemo] = useState('');
  const [review, setReview] = useState<Review | null>(null);
  // the form and the review replace each other: keep the keyboard where the user is (the review to read
  // and confirm, then the form again), never on the page body; nothing moves when the screen opens
  const formRef = useRef<HTMLFormElement>(null);
  const reviewRef = useRef<HTMLDivElement>(null);
  const reviewed = useRef(review);
  useEffect(() => {
    if (reviewed.current === review) return;
    reviewed.current = review;
    if (review) reviewRef.current?.focus();
    else formRef.current?.querySelector<HTMLInputElement>('input[name="to"]')?.focus();
  }, [review]);
  const keys = useAttempts();
  const lookups = useAttempts();
  const lookup = useMutation({
    mutationFn: async ({ to: value, from: payer }: { to: string; amount: string; memo: string; from: SendingWallet<Wallet> }) =>
      normalizeRecipient(await api('/transfers/recipient', { query: { to: value, fromWalletId: payer.wallet.id } })),
    onSuccess: (recipient, { amount: reviewed, memo: note, from: payer }) => setReview({ from: payer, recipient, amount: reviewed, memo: note }),
  });
  // pays the reviewed address, as chat's /confirm does: a basename moved after the review cannot redirect the payment
  const send = useMutation({
    mutationFn: ({ body, key }: { review: Review; body: object; key: string }) => api('/transfers', { body, idempotencyKey: key }),
    onSuccess: (_body, { review: sent }) => {
      const who = sent.recipient.petName ?? sent.recipient.name ?? shortAddress(sent.recipient.address);
      toast({ title: t('wallet.sent'), body: t('wallet.sentBody', { amount: formatAmount(sent.amount), to: isolatedString(who) }), tone: 'good' });
      setTo('');
      setAmount('');
      setMemo('');
      setReview(null);
      void qc.invalidateQueries({ queryKey: ['transactions'] });
      void qc.invalidateQueries({ queryKey: ['wallets'] });
    },
  });
  /** Sends the reviewed payment once (a double click is one attempt): again under the same key while the last try's outcome is open, under a new one after a refusal. */
  const pay = (reviewed: Review) => {
    const body = { fromWalletId: reviewed.from.wallet.id, to: reviewed.recipient.address, amount: reviewed.amount, ...(reviewed.memo ? { memo: reviewed.memo } : {}) };
    keys.run(body, (key) => send.mutateAsync({ review: reviewed, body, key }));
  };
  const errs = fieldErrors(send.error);
  const read = readAmount(amount);
  const over = read.amount !== null && compareAmounts(read.amount, wallet.balance) > 0;
  const overText = from.petName === null ? t('wallet.amountOver') : t('wallet.sendFrom.overPet', { name: isolatedString(from.petName) });
  return (
    <Card title={t('wallet.sendTitle')}>
      {!review ? (
        <form
          ref={formRef}
          className="form send-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!to.trim() || read.amount === null || over) return;
            const asked = { to: to.trim(), amount: read.amount, memo: memo.trim(), from };
            lookups.run(asked, () => lookup.mutateAsync(asked));
          }}
        >
          <div className="field">
            <label htmlFor="send-from">{t('wallet.from')}</label>
            <select id="send-from" name="from" value={wallet.id} onChange={(e) => (setFromId(e.target.value), lookup.reset())} aria-describedby="send-from-balance" data-testid="send-from">
              {choices.map((c) => (
                <option key={c.wallet.id} value={c.wallet.id}>
                  {label(c)}
                </option>
              ))}
            </select>
            <small id="send-from-balance" className="field-msg" data-testid="send-from-balance">
              {t('wallet.sendFrom.balance', { amount: formatAmount(wallet.balance), token: wallet.token })}
            </small>
          </div>
          <Field label={t('wallet.to')} value={to} onChange={(e) => (setTo(e.target.value), lookup.reset())} placeholder={t('wallet.toPlaceholder')} required name="to" hint={t('wallet.toHint')} error={errs.to} autoComplete="off" />
          <AmountField value={amount} onChange={setAmount} name="amount" serverError={errs.amount} extra={over ? overText : undefined} />
          <Field label={t('wallet.memo')} value={memo} maxLength={140} onChange={(e) => setMemo(e.target.value)} name="memo" />
          {lookup.error ? <ErrorBox error={lookup.error} /> : null}
          <Button type="submit" disabled={!to.trim() || read.amount === null || over} busy={lookup.isPending} className="btn-block">
            {t('wallet.review')}
          </Button>
        </form>
      ) : (
        <div className="review" data-testid="send-review" ref={reviewRef} tabIndex={-1} role="group" aria-label={t('wallet.review')}>
          <dl>
            <dt>{t('wallet.from')}</dt>
            <dd data-testid="send-review-from">{label(review.from)}</dd>
            <dt>{t('wallet.to')}</dt>
            <dd data-testid="send-recipient">
              {review.recipient.petName ? (
                <>
                  <UserText text={review.recipient.petName} />
                  {review.recipient.name ? (
                    <span className="muted small">
                      {' '}
                      <WithUserText line={(v) => t('wallet.petOf', v)} values={{ name: review.recipient.name }} />
                    </span>
                  ) : null}
                  <br />
                </>
              ) : review.recipient.name ? (
                <>
                  <UserText text={review.recipient.name} />
                  <br />
                </>
              ) : null}
              <code className={review.recipient.petName || review.recipient.name ? 'wrap muted small' : 'wrap'}>{review.recipient.address}</code>
            </dd>
            <dt>{t('wallet.amount')}</dt>
            <dd>{formatAmount(review.amount)} USDC</dd>
            <dt>{t('wallet.fee')}</dt>
            <dd>{t('wallet.feeSponsored')}</dd>
            <dt>{t('wallet.total')}</dt>
            <dd>
              <strong>{formatAmount(review.amount)} USDC</strong>
            </dd>
            {review.memo ? (
              <>
                <dt>{t('wallet.note')}</dt>
                <dd data-testid="send-memo">
                  <UserText text={review.memo} />
                </dd>
              </>
            ) : null}
          </dl>
          {send.error ? <ErrorBox error={send.error} shown={['to', 'amount']} /> : null}
          <div className="row">
            <Button busy={send.isPending} onClick={() => pay(review)} data-testid="send-confirm">
              {t('wallet.sendNow')}
            </Button>
            <Button
              variant="ghost"
              onClick={() => {
                if (keys.inFlight) return;
                setReview(null);
                send.reset();
              }}
              disabled={send.isPending}
            >
              {t('common.edit')}
            </Button>
          </div>
        </div>
      )}
    </Card>
  );
}


const TABS = ['overview', 'requests', 'names'] as const;

export function WalletScreen() {
  const { t } = useTranslation();
  const { search } = useLocation();
  const tab = (TABS as readonly string[]).includes(search.get('tab') ?? '') ? (search.get('tab') as (typeof TABS)[number]) : 'overview';
  const wallets = useWallets();
  const pets = usePets();
  const chain = useChain();
  const wallet = wallets.data?.find((w) => w.kind === 'user') ?? wallets.data?.[0];
  const choices = wallet ? sendingWallets(wallets.data ?? [], pets.data ?? []) : [];
  const mine = new Set((wallets.data ?? []).map((w) => w.address.toLowerCase()));
  const petWallets: PetWalletNames = new Map();
  for (const w of wallets.data ?? []) {
    const pet = w.kind === 'pet' ? pets.data?.find((p) => p.id === w.petId) : undefined;
    if (pet) petWallets.set(w.address.toLowerCase(), { petId: pet.id, name: pet.name });
  }
  const embedded = !!(chain.data && (chain.data.embedded === true || chain.data.rpcUrl || chain.data.localRpcUrl));
  return (
    <div className="wallet">
      <div className="tabs" role="tablist" aria-label={t('wallet.title')}>
        {TABS.map((k) => (
          <button key={k} role="tab" aria-selected={tab === k} className={tab === k ? 'tab active' : 'tab'} onClick={() => navigate(k === 'overview' ? '/wallet' : `/wallet?tab=${k}`)}>
            {t(`wallet.tabs.${k}`)}
          </button>
        ))}
      </div>
      {wallets.isPending ? <Spinner /> : null}
      {wallets.error ? <ErrorBox error={wallets.error} onRetry={() => void wallets.refetch()} /> : null}
      {wallets.data && !wallet ? <Empty icon="wallet" title={t('wallet.none')} /> : null}
      {wallet && tab === 'overview' ? (
        <div className="grid-2">
          <div>
            <BalanceCard wallet={wallet} embedded={embedded} />
            {choices.length ? <SendForm choices={choices} /> : null}
            <PetWallets wallets={wallets.data ?? []} />
          </div>
          <TxList mine={mine} petWallets={petWallets} />
        </div>
      ) : null}
      {wallet && tab === 'requests' ? <Requests /> : null}
      {wallet && tab === 'names' ? <Basenames wallet={wallet} wallets={wallets.data ?? []} /> : null}
    </div>
  );
}
