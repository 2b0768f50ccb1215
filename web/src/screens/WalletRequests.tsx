import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, newIdempotencyKey } from '../api';
import { AttemptKeys } from '../attempts';
import { nextExpiryIn, REQUESTS_TICK_MS, statusAt } from '../intents';
import { useAuth } from '../auth';
import { Badge, Button, Card, Empty, ErrorBox, Field, fieldErrors, LoadMore, Spinner, useToast } from '../components/ui';
import { formatAmount, formatRelative, readAmount, shortAddress } from '../format';
import { listOf, normalizeIntent, type Intent } from '../model';
import { STATUS_TONE, useAttempts, useProfileTimeZone, WithUserText, AmountField } from './WalletParts';

export function Requests() {
  const { t } = useTranslation();
  const { user } = useAuth();
  const timeZone = useProfileTimeZone();
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
  // a refused Pay or Cancel is told on the row of its request (the one the mutation's variables name)
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
          {create.error ? <ErrorBox error={create.error} shown={['payer', 'amount']} /> : null}
          <Button type="submit" busy={create.isPending} disabled={!payer.trim() || read.amount === null}>
            {t('wallet.requestButton')}
          </Button>
        </form>
      </Card>
      <Card title={t('wallet.requestsList')}>
        {list.isPending ? <Spinner /> : null}
        {list.error ? <ErrorBox error={list.error} onRetry={() => void list.refetch()} /> : null}
        {intents && !intents.length ? <Empty icon="inbox" title={t('wallet.noRequests')} /> : null}
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
                    {i.expiresAt && open ? ` · ${t('wallet.expires', { when: formatRelative(i.expiresAt, timeZone) })}` : ''}
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
                {act.error && act.variables?.intent.id === i.id ? (
                  <div className="intent-error">
                    <ErrorBox error={act.error} />
                  </div>
                ) : null}
              </li>
            );
          })}
        </ul>
        <LoadMore query={list} />
      </Card>
    </>
  );
}
