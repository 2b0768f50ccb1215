import { Icon } from '../components/Icon';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { Badge, Button, Card, Empty, ErrorBox, LoadMore, Spinner } from '../components/ui';
import { formatAmount, formatCount, formatDateTime, formatEth, formatRelative, shortAddress } from '../format';
import { listOf, normalizeTx, type Transaction } from '../model';
import { STATUS_TONE, useProfileTimeZone, UserText, WithUserText } from './WalletParts';

function TxDetails({ tx }: { tx: Transaction }) {
  const { t } = useTranslation();
  const timeZone = useProfileTimeZone();
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
      <dd data-testid="tx-gas-used">{formatCount(d.gasUsed)}</dd>
      <dt>{t('wallet.gasFee')}</dt>
      <dd data-testid="tx-gas-fee">{d.gasFee ? formatEth(d.gasFee) : '—'}</dd>
      <dt>{t('wallet.time')}</dt>
      <dd data-testid="tx-time">{formatDateTime(d.at, 'dateTime', timeZone)}</dd>
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
export type PetWalletNames = Map<string, { petId: string; name: string }>;

export function TxList({ mine, petWallets }: { mine: Set<string>; petWallets: PetWalletNames }) {
  const { t } = useTranslation();
  const timeZone = useProfileTimeZone();
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
                    · {formatRelative(tx.at, timeZone)}
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
      <LoadMore query={q} />
    </Card>
  );
}
