import { Icon } from '../components/Icon';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import QRCode from 'qrcode';
import { Fragment, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { api, newIdempotencyKey } from '../api';
import type { AmountProblem } from '../amounts';
import { AttemptKeys } from '../attempts';
import { readBasenames } from '../basenames';
import { isolatedPieces, isolatedString, withoutBidiControls } from '../bidi';
import { nextExpiryIn, REQUESTS_TICK_MS, statusAt } from '../intents';
import { useAuth } from '../auth';
import { usePets } from '../pets';
import { Badge, Button, Card, Empty, ErrorBox, Field, fieldErrors, Spinner, useToast } from '../components/ui';
import { amountPlaceholder, compareAmounts, formatAmount, formatDateTime, formatEth, formatRelative, readAmount, shortAddress } from '../format';
import { listOf, normalizeIntent, normalizeRecipient, normalizeTx, normalizeWallet, obj, str, type Intent, type Recipient, type Transaction, type Wallet } from '../model';
import { navigate, useLocation } from '../router';

const STATUS_TONE: Record<string, 'good' | 'warn' | 'bad' | 'info' | 'neutral'> = {
  confirmed: 'good',
  pending: 'warn',
  queued: 'info',
  failed: 'bad',
  created: 'info',
  funded: 'warn',
  executed: 'good',
  cancelled: 'neutral',
  expired: 'neutral',
};

/** The attempts at one money action of this screen: one in flight at a time, each under its Idempotency-Key. */
function useAttempts(): AttemptKeys {
  return useState(() => new AttemptKeys(newIdempotencyKey))[0];
}

/** User-written text (a memo, a name, a basename), isolated: its bidi controls cannot reorder the UI text around it. */
function UserText({ text }: { text: string | null | undefined }) {
  return <bdi>{withoutBidiControls(text ?? '')}</bdi>;
}

/** A translated line with user-written values ("to {{who}}"), each isolated in a <bdi> of its own. */
function WithUserText({ line, values }: { line(values: Record<string, string>): string; values: Record<string, string> }) {
  return <>{isolatedPieces(line, values).map((p, i) => (p.user ? <bdi key={i}>{p.text}</bdi> : <Fragment key={i}>{p.text}</Fragment>))}</>;
}

function useWallets() {
  return useQuery({ queryKey: ['wallets'], queryFn: async () => listOf(await api('/wallets'), 'wallets').items.map(normalizeWallet) });
}

function useChain() {
  return useQuery({ queryKey: ['chain'], queryFn: async () => obj(await api('/chain')), staleTime: Infinity, retry: false });
}

function Copy({ text, label }: { text: string; label: string }) {
  const { t } = useTranslation();
  const [done, setDone] = useState(false);
  return (
    <button
      className="icon-btn"
      aria-label={label}
      title={label}
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => {
          setDone(true);
          window.setTimeout(() => setDone(false), 1500);
        });
      }}
    >
      <Icon name={done ? 'check' : 'copy'} size={18} />
      <span className="sr-only" aria-live="polite">
        {done ? t('common.copied') : ''}
      </span>
    </button>
  );
}

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
  recipient: Recipient;
  amount: string;
  memo: string;
}

/** The amount field's message for what readAmount found wrong, if anything. */
function amountProblem(t: TFunction, problem: AmountProblem | null): string | undefined {
  if (problem === 'grouping') return t('wallet.amountGrouping');
  if (problem === 'tooLarge') return t('wallet.amountTooLarge');
  return problem ? t('wallet.amountInvalid') : undefined;
}

/** The USDC amount input: kept as typed, the locale's placeholder, and the first thing wrong with it (the server's, then the reading's, then `extra`). */
function AmountField({ value, onChange, serverError, extra, name }: { value: string; onChange(value: string): void; serverError?: string; extra?: string; name?: string }) {
  const { t } = useTranslation();
  const problem = value.trim() ? amountProblem(t, readAmount(value).problem) : undefined;
  return (
    <Field
      label={t('wallet.amountUsdc')}
      value={value}
      inputMode="decimal"
      onChange={(e) => onChange(e.target.value)}
      placeholder={amountPlaceholder()}
      required
      name={name}
      error={serverError || problem || extra}
    />
  );
}

function SendForm({ wallet }: { wallet: Wallet }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const toast = useToast();
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [memo, setMemo] = useState('');
  const [review, setReview] = useState<Review | null>(null);
  const keys = useAttempts();
  const lookups = useAttempts();
  const lookup = useMutation({
    mutationFn: async ({ to: value }: { to: string; amount: string; memo: string }) => normalizeRecipient(await api('/transfers/recipient', { query: { to: value, fromWalletId: wallet.id } })),
    onSuccess: (recipient, { amount: reviewed, memo: note }) => setReview({ recipient, amount: reviewed, memo: note }),
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
    const body = { fromWalletId: wallet.id, to: reviewed.recipient.address, amount: reviewed.amount, ...(reviewed.memo ? { memo: reviewed.memo } : {}) };
    keys.run(body, (key) => send.mutateAsync({ review: reviewed, body, key }));
  };
  const errs = fieldErrors(send.error);
  const read = readAmount(amount);
  const over = read.amount !== null && compareAmounts(read.amount, wallet.balance) > 0;
  return (
    <Card title={t('wallet.sendTitle')}>
      {!review ? (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!to.trim() || read.amount === null || over) return;
            const asked = { to: to.trim(), amount: read.amount, memo: memo.trim() };
            lookups.run(asked, () => lookup.mutateAsync(asked));
          }}
        >
          <Field label={t('wallet.to')} value={to} onChange={(e) => (setTo(e.target.value), lookup.reset())} placeholder={t('wallet.toPlaceholder')} required name="to" hint={t('wallet.toHint')} error={errs.to} autoComplete="off" />
          <AmountField value={amount} onChange={setAmount} name="amount" serverError={errs.amount} extra={over ? t('wallet.amountOver') : undefined} />
          <Field label={t('wallet.memo')} value={memo} maxLength={140} onChange={(e) => setMemo(e.target.value)} name="memo" />
          {lookup.error ? <ErrorBox error={lookup.error} /> : null}
          <Button type="submit" disabled={!to.trim() || read.amount === null || over} busy={lookup.isPending} className="btn-block">
            {t('wallet.review')}
          </Button>
        </form>
      ) : (
        <div className="review" data-testid="send-review">
          <dl>
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
          {send.error ? <ErrorBox error={send.error} /> : null}
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

function TxDetails({ tx }: { tx: Transaction }) {
  const { t } = useTranslation();
  const q = useQuery({ queryKey: ['transaction', tx.id, tx.status], queryFn: async () => normalizeTx(await api(`/transactions/${tx.hash ?? tx.id}`)) });
  const d = q.data ?? tx;
  return (
    <dl className="tx-details">
      <dt>{t('wallet.status')}</dt>
      <dd>{t(`txStatus.${d.status}`, { defaultValue: d.status })}</dd>
      <dt>{t('wallet.hash')}</dt>
      <dd>
        <code className="wrap">{d.hash ?? '—'}</code>
      </dd>
      <dt>{t('wallet.from')}</dt>
      <dd>
        <code className="wrap">{d.from}</code>
      </dd>
      <dt>{t('wallet.to')}</dt>
      <dd>
        <code className="wrap">{d.to}</code>
      </dd>
      {d.memo ? (
        <>
          <dt>{t('wallet.note')}</dt>
          <dd data-testid="tx-memo">
            <UserText text={d.memo} />
          </dd>
        </>
      ) : null}
      <dt>{t('wallet.block')}</dt>
      <dd>{d.blockNumber ?? '—'}</dd>
      <dt>{t('wallet.gasUsed')}</dt>
      <dd>{d.gasUsed ?? '—'}</dd>
      <dt>{t('wallet.gasFee')}</dt>
      <dd data-testid="tx-gas-fee">{d.gasFee ? formatEth(d.gasFee) : '—'}</dd>
      <dt>{t('wallet.time')}</dt>
      <dd>{formatDateTime(d.at)}</dd>
      {d.error ? (
        <>
          <dt>{t('wallet.error')}</dt>
          <dd>{d.error}</dd>
        </>
      ) : null}
      {q.error ? <ErrorBox error={q.error} /> : null}
    </dl>
  );
}

/** A pet wallet's address (lower case) → its pet, to name the pet on the rows that paid it. */
type PetWalletNames = Map<string, { petId: string; name: string }>;

function TxList({ mine, petWallets }: { mine: Set<string>; petWallets: PetWalletNames }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const q = useInfiniteQuery({
    queryKey: ['transactions', status],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) => {
      const page = listOf(await api('/transactions', { query: { limit: 20, cursor: pageParam ?? undefined, status: status || undefined } }), 'transactions');
      return { ...page, items: page.items.map(normalizeTx) };
    },
    getNextPageParam: (last) => (last.hasMore ? last.nextCursor : null),
  });
  const txs = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Card
      title={t('wallet.historyTitle')}
      actions={
        <select value={status} onChange={(e) => setStatus(e.target.value)} aria-label={t('wallet.filterStatus')}>
          <option value="">{t('wallet.allStatuses')}</option>
          {['queued', 'pending', 'confirmed', 'failed'].map((s) => (
            <option key={s} value={s}>
              {t(`txStatus.${s}`)}
            </option>
          ))}
        </select>
      }
    >
      {q.isPending ? <Spinner /> : null}
      {q.error ? <ErrorBox error={q.error} onRetry={() => void q.refetch()} /> : null}
      {q.data && !txs.length ? (
        status ? (
          <Empty icon="list" title={t('wallet.noTxFiltered')}>
            <Button variant="ghost" onClick={() => setStatus('')}>
              {t('wallet.showAll')}
            </Button>
          </Empty>
        ) : (
          <Empty icon="list" title={t('wallet.noTx')} hint={t('wallet.noTxHint')} />
        )
      ) : null}
      <ul className="tx-list" data-testid="tx-list">
        {txs.map((tx) => {
          const incoming = mine.has(tx.to.toLowerCase()) && !mine.has(tx.from.toLowerCase());
          const pet = petWallets.get(tx.to.toLowerCase());
          const toWho = pet && pet.petId === tx.petId ? pet.name : (tx.toName ?? shortAddress(tx.to));
          return (
            <li key={tx.id} className="tx">
              <button className="tx-row" onClick={() => setOpen(open === tx.id ? null : tx.id)} aria-expanded={open === tx.id}>
                <span className={`tx-icon ${incoming ? 'in' : 'out'}`} aria-hidden="true">
                  <Icon name={incoming ? 'arrowDown' : 'arrowUp'} size={18} />
                </span>
                <span className="tx-main">
                  <strong>{t(`txType.${tx.type}`, { defaultValue: tx.type })}</strong>
                  <small className="muted">
                    {incoming ? (
                      <WithUserText line={(v) => t('wallet.fromWho', v)} values={{ who: tx.fromName ?? shortAddress(tx.from) }} />
                    ) : (
                      <WithUserText line={(v) => t('wallet.toWho', v)} values={{ who: toWho }} />
                    )}{' '}
                    · {formatRelative(tx.at)}
                  </small>
                  {tx.memo ? (
                    <small className="muted tx-memo">
                      <WithUserText line={(v) => t('wallet.quoted', v)} values={{ text: tx.memo }} />
                    </small>
                  ) : null}
                </span>
                <span className="tx-side">
                  <span className={incoming ? 'amount in' : 'amount out'}>
                    {incoming ? '+' : '−'}
                    {formatAmount(tx.amount)}
                  </span>
                  <Badge tone={STATUS_TONE[tx.status] ?? 'neutral'}>
                    <span data-testid="tx-status">{t(`txStatus.${tx.status}`, { defaultValue: tx.status })}</span>
                  </Badge>
                </span>
              </button>
              {open === tx.id ? <TxDetails tx={tx} /> : null}
            </li>
          );
        })}
      </ul>
      {q.hasNextPage ? (
        <Button variant="ghost" busy={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
          {t('common.loadMore')}
        </Button>
      ) : null}
    </Card>
  );
}

function Requests() {
  const { t } = useTranslation();
  const { user } = useAuth();
  const qc = useQueryClient();
  const toast = useToast();
  const [payer, setPayer] = useState('');
  const [amount, setAmount] = useState('');
  const [memo, setMemo] = useState('');
  const list = useInfiniteQuery({
    queryKey: ['intents'],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) => {
      const page = listOf(await api('/intents', { query: { limit: 20, cursor: pageParam ?? undefined } }), 'intents');
      return { ...page, items: page.items.map(normalizeIntent) };
    },
    getNextPageParam: (last) => (last.hasMore ? last.nextCursor : null),
  });
  const intents = useMemo(() => list.data?.pages.flatMap((p) => p.items), [list.data]);
  // drawn again every few seconds while open, and at the moment a request expires: "expires in …" moves on,
  // and a request past its time reads Expired without Pay before the server's expiry job gets to it
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const tick = () => setNow(Date.now());
    const every = window.setInterval(tick, REQUESTS_TICK_MS);
    const wait = nextExpiryIn(intents ?? [], Date.now());
    const at = wait === null ? undefined : window.setTimeout(tick, Math.max(0, wait) + 50);
    return () => {
      window.clearInterval(every);
      window.clearTimeout(at);
    };
  }, [intents, now]);
  const requests = useAttempts();
  const create = useMutation({
    mutationFn: ({ body, key }: { body: object; key: string }) => api('/intents', { body, idempotencyKey: key }),
    onSuccess: () => {
      setPayer('');
      setAmount('');
      setMemo('');
      toast({ title: t('wallet.requestSent'), tone: 'good' });
      void qc.invalidateQueries({ queryKey: ['intents'] });
    },
  });
  const act = useMutation({
    mutationFn: ({ intent, action, key }: { intent: Intent; action: 'fund' | 'cancel'; key?: string }) =>
      api(`/intents/${intent.id}/${action}`, { method: 'POST', body: {}, idempotencyKey: key }),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: ['intents'] });
      void qc.invalidateQueries({ queryKey: ['transactions'] });
    },
  });
  // each Pay is an attempt of its own (after a refusal the next click must not send the refused attempt's
  // key), and a request takes one action at a time (a double click pays or cancels once)
  const attempts = useRef(new Map<string, AttemptKeys>()).current;
  const perform = (intent: Intent, action: 'fund' | 'cancel') => {
    if (statusAt(intent, Date.now()) !== 'created') return setNow(Date.now());
    const keys = attempts.get(intent.id) ?? new AttemptKeys(newIdempotencyKey);
    attempts.set(intent.id, keys);
    keys.run(action, (key) => act.mutateAsync({ intent, action, key: action === 'fund' ? key : undefined }));
  };
  const errs = fieldErrors(create.error);
  const read = readAmount(amount);
  return (
    <>
      <Card title={t('wallet.requestTitle')}>
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            if (read.amount === null) return;
            // one request per attempt: a second Enter or click while it is in flight is ignored
            const body = { payer: payer.trim(), amount: read.amount, memo: memo.trim() || undefined };
            requests.run(body, (key) => create.mutateAsync({ body, key }));
          }}
        >
          <Field label={t('wallet.payer')} value={payer} onChange={(e) => setPayer(e.target.value)} placeholder={t('wallet.toPlaceholder')} required error={errs.payer} />
          <AmountField value={amount} onChange={setAmount} serverError={errs.amount} />
          <Field label={t('wallet.memo')} value={memo} maxLength={140} onChange={(e) => setMemo(e.target.value)} />
          {create.error ? <ErrorBox error={create.error} /> : null}
          <Button type="submit" busy={create.isPending} disabled={!payer.trim() || read.amount === null}>
            {t('wallet.requestButton')}
          </Button>
        </form>
      </Card>
      <Card title={t('wallet.requestsList')}>
        {list.isPending ? <Spinner /> : null}
        {list.error ? <ErrorBox error={list.error} onRetry={() => void list.refetch()} /> : null}
        {intents && !intents.length ? <Empty icon="inbox" title={t('wallet.noRequests')} /> : null}
        {act.error ? <ErrorBox error={act.error} /> : null}
        <ul className="plain-list">
          {intents?.map((i) => {
            const iPay = i.payerId ? i.payerId === user?.id : i.requesterId !== user?.id;
            const status = statusAt(i, now);
            const open = status === 'created';
            const requester = i.requesterName ?? shortAddress(i.requester);
            return (
              <li key={i.id} className="intent">
                <div>
                  <strong>
                    {formatAmount(i.amount)} {i.token}
                  </strong>{' '}
                  <Badge tone={STATUS_TONE[status] ?? 'neutral'}>{t(`intentStatus.${status}`, { defaultValue: status })}</Badge>
                  <p className="muted small">
                    {iPay ? (
                      <WithUserText line={(v) => t(open ? 'wallet.requestedFromYou' : 'wallet.requestedFromYouDone', v)} values={{ who: requester }} />
                    ) : (
                      <WithUserText line={(v) => t('wallet.youRequested', v)} values={{ who: i.payerName ?? i.payer ?? '—' }} />
                    )}
                    {i.memo ? (
                      <>
                        {' · '}
                        <WithUserText line={(v) => t('wallet.quoted', v)} values={{ text: i.memo }} />
                      </>
                    ) : null}
                    {i.expiresAt && open ? ` · ${t('wallet.expires', { when: formatRelative(i.expiresAt) })}` : ''}
                  </p>
                </div>
                {open ? (
                  <div className="row">
                    {iPay ? (
                      <Button busy={act.isPending && act.variables?.intent.id === i.id} onClick={() => perform(i, 'fund')}>
                        {t('wallet.pay')}
                      </Button>
                    ) : (
                      <Button variant="ghost" busy={act.isPending && act.variables?.intent.id === i.id} onClick={() => perform(i, 'cancel')}>
                        {t('common.cancel')}
                      </Button>
                    )}
                  </div>
                ) : null}
              </li>
            );
          })}
        </ul>
        {list.hasNextPage ? (
          <Button variant="ghost" busy={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
            {t('common.loadMore')}
          </Button>
        ) : null}
      </Card>
    </>
  );
}

function Basenames({ wallet, wallets }: { wallet: Wallet; wallets: Wallet[] }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [checked, setChecked] = useState<string | null>(null);
  const check = useQuery({
    queryKey: ['basename-check', checked],
    enabled: !!checked,
    queryFn: async () => obj(await api('/basenames/check', { query: { name: checked! } })),
    retry: false,
  });
  const mine = useQuery({ queryKey: ['basenames'], queryFn: () => api('/basenames') });
  // the names held now, and every name of the history (also those given away since) with its entries
  const names = mine.data === undefined ? null : readBasenames(mine.data, new Set(wallets.map((w) => w.id)));
  const registrations = useAttempts();
  const register = useMutation({
    mutationFn: ({ body, key }: { body: object; key: string }) => api('/basenames', { body, idempotencyKey: key }),
    onSuccess: () => {
      setChecked(null);
      setName('');
      qc.removeQueries({ queryKey: ['basename-check'] });
      void qc.invalidateQueries({ queryKey: ['basenames'] });
      void qc.invalidateQueries({ queryKey: ['wallets'] });
      void qc.invalidateQueries({ queryKey: ['transactions'] });
    },
  });
  const available = check.data && (check.data.available === true || check.data.status === 'available');
  const price = str(check.data?.price ?? check.data?.cost ?? check.data?.fee);
  return (
    <>
      <Card title={t('wallet.namesTitle')}>
        <p className="muted">{t('wallet.namesHint')}</p>
        <form
          className="form inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) setChecked(name.trim().toLowerCase());
          }}
        >
          <Field label={t('wallet.nameSearch')} value={name} onChange={(e) => setName(e.target.value)} maxLength={32} autoComplete="off" />
          <Button type="submit" variant="secondary" busy={check.isFetching}>
            {t('wallet.check')}
          </Button>
        </form>
        {check.error ? <ErrorBox error={check.error} /> : null}
        {check.data ? (
          <div className={`name-result ${available ? 'ok' : 'taken'}`} role="status">
            <strong>
              <UserText text={str(check.data.normalized ?? check.data.name) ?? checked} />
            </strong>{' '}
            {available ? t('wallet.nameAvailable') : t(`wallet.nameReason.${str(check.data.reason) ?? 'taken'}`, { defaultValue: t('wallet.nameTaken') })}
            {available && price ? ` · ${t('wallet.namePrice', { price: formatAmount(price) })}` : ''}
            {available ? (
              <Button
                busy={register.isPending}
                onClick={() => {
                  const body = { name: str(check.data?.normalized ?? check.data?.name) ?? checked, walletId: wallet.id };
                  registrations.run(body, (key) => register.mutateAsync({ body, key }));
                }}
              >
                {t('wallet.register')}
              </Button>
            ) : null}
          </div>
        ) : null}
        {register.error ? <ErrorBox error={register.error} /> : null}
      </Card>
      <Card title={t('wallet.myNames')}>
        {mine.isPending ? <Spinner /> : null}
        {mine.error ? <ErrorBox error={mine.error} onRetry={() => void mine.refetch()} /> : null}
        {names && !names.names.length ? <Empty icon="tag" title={names.records.length ? t('wallet.noNamesNow') : t('wallet.noNames')} /> : null}
        <ul className="plain-list" data-testid="my-names">
          {names?.names.map((b) => (
            <li key={b.name}>
              <strong>
                <UserText text={b.name} />
              </strong>
              {b.expiresAt ? <span className="muted small"> · {t('wallet.expires', { when: formatDateTime(b.expiresAt) })}</span> : null}
            </li>
          ))}
        </ul>
      </Card>
      {names?.records.length ? (
        <Card title={t('wallet.nameHistory')}>
          <ul className="plain-list name-history" data-testid="name-history">
            {names.records.map((r) => (
              <li key={r.name} className="name-record" data-testid="name-record">
                <strong>
                  <UserText text={r.name} />
                </strong>{' '}
                {r.held ? null : <Badge tone="neutral">{t('wallet.nameNotYours')}</Badge>}
                <ul className="name-events">
                  {r.events.map((e) => (
                    <li key={e.id} className="muted small" data-testid="name-event">
                      {t(`wallet.nameAction.${e.action}`)} · {formatDateTime(e.at)}
                      {e.cost ? ` · ${t('wallet.nameFee', { amount: formatAmount(e.cost) })}` : ''}
                      {e.hash ? (
                        <>
                          {' · '}
                          <code title={e.hash}>{shortAddress(e.hash)}</code>
                        </>
                      ) : null}
                      {e.txStatus ? ` · ${t(`txStatus.${e.txStatus}`, { defaultValue: e.txStatus })}` : ''}
                      {e.expiresAt && e.action !== 'transferredAway' ? ` · ${t('wallet.expires', { when: formatDateTime(e.expiresAt) })}` : ''}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
    </>
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
            <SendForm wallet={wallet} />
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
