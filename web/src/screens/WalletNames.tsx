import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { readBasenames } from '../basenames';
import { Badge, Button, Card, Empty, ErrorBox, Field, Spinner } from '../components/ui';
import { formatAmount, formatDateTime, shortAddress } from '../format';
import { obj, str, type Wallet } from '../model';
import { useAttempts, useProfileTimeZone, UserText } from './WalletParts';

export function Basenames({ wallet, wallets }: { wallet: Wallet; wallets: Wallet[] }) {
  const { t } = useTranslation();
  const timeZone = useProfileTimeZone();
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
              {b.expiresAt ? <span className="muted small"> · {t('wallet.expiresOn', { date: formatDateTime(b.expiresAt, 'date', timeZone) })}</span> : null}
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
                      {t(`wallet.nameAction.${e.action}`)} · {formatDateTime(e.at, 'dateTime', timeZone)}
                      {e.cost ? ` · ${t('wallet.nameFee', { amount: formatAmount(e.cost) })}` : ''}
                      {e.hash ? (
                        <>
                          {' · '}
                          <code title={e.hash}>{shortAddress(e.hash)}</code>
                        </>
                      ) : null}
                      {e.txStatus ? ` · ${t(`txStatus.${e.txStatus}`, { defaultValue: e.txStatus })}` : ''}
                      {e.expiresAt && e.action !== 'transferredAway' ? ` · ${t('wallet.expiresOn', { date: formatDateTime(e.expiresAt, 'date', timeZone) })}` : ''}
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
