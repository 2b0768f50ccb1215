import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { readBasenames } from '../basenames';
import { isolatedString } from '../bidi';
import { Badge, Button, Card, Empty, ErrorBox, Field, fieldErrors, Spinner, useToast } from '../components/ui';
import { formatAmount, formatDateTime, shortAddress } from '../format';
import { obj, str, type Wallet } from '../model';
import { useAttempts, useProfileTimeZone, UserText, WithUserText } from './WalletParts';

/**
 * Gives a name the user holds to another user (POST /basenames/:name/transfer {to}): the recipient as an email,
 * a basename or an address, a review to confirm, and the API's refusal shown here, beside the name.
 */
function NameTransfer({ name, onClose }: { name: string; onClose(given: boolean): void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const toast = useToast();
  const [to, setTo] = useState('');
  const [reviewed, setReviewed] = useState<string | null>(null);
  // the keyboard follows the step: the recipient field, then the review to confirm, then the field again
  const fieldRef = useRef<HTMLDivElement>(null);
  const reviewRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (reviewed === null) fieldRef.current?.querySelector('input')?.focus();
    else reviewRef.current?.focus();
  }, [reviewed]);
  const attempts = useAttempts();
  const give = useMutation({
    mutationFn: (recipient: string) => api(`/basenames/${encodeURIComponent(name)}/transfer`, { body: { to: recipient } }),
    onSuccess: (_body, recipient) => {
      toast({ title: t('wallet.nameTransfer.done', { name: isolatedString(name), to: isolatedString(recipient) }), tone: 'good' });
      onClose(true);
      void qc.invalidateQueries({ queryKey: ['basenames'] });
    },
  });
  const errs = fieldErrors(give.error);
  if (reviewed === null) {
    return (
      <form
        className="form name-transfer"
        onSubmit={(e) => {
          e.preventDefault();
          if (!to.trim()) return;
          give.reset();
          setReviewed(to.trim());
        }}
      >
        <div ref={fieldRef}>
          <Field label={t('wallet.nameTransfer.to')} value={to} onChange={(e) => setTo(e.target.value)} placeholder={t('wallet.toPlaceholder')} hint={t('wallet.toHint')} error={errs.to} maxLength={254} required autoComplete="off" name="name-to" />
        </div>
        {give.error ? <ErrorBox error={give.error} shown={['to']} /> : null}
        <div className="row">
          <Button type="submit" variant="secondary" disabled={!to.trim()}>
            {t('wallet.review')}
          </Button>
          <Button type="button" variant="ghost" onClick={() => onClose(false)}>
            {t('common.cancel')}
          </Button>
        </div>
      </form>
    );
  }
  return (
    <div className="review name-transfer" ref={reviewRef} tabIndex={-1} role="group" aria-label={t('wallet.review')} data-testid="name-transfer-review">
      <p>
        <WithUserText line={(v) => t('wallet.nameTransfer.confirmLine', v)} values={{ name, to: reviewed }} />
      </p>
      <p className="muted small">{t('wallet.nameTransfer.final')}</p>
      {give.error ? <ErrorBox error={give.error} /> : null}
      <div className="row">
        <Button busy={give.isPending} onClick={() => attempts.run(reviewed, () => give.mutateAsync(reviewed))} data-testid="name-transfer-confirm">
          {t('wallet.nameTransfer.confirm')}
        </Button>
        <Button
          variant="ghost"
          disabled={give.isPending}
          onClick={() => {
            if (attempts.inFlight) return;
            // an error about the recipient stays beside its field
            setReviewed(null);
          }}
        >
          {t('common.edit')}
        </Button>
      </div>
    </div>
  );
}

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
  const [transferring, setTransferring] = useState<string | null>(null);
  // closing a transfer puts the keyboard back on that name's Transfer button; a name given away leaves the
  // list (and its button with it), so after a transfer the keyboard goes to the list itself, not to the page body
  const transferButtons = useRef(new Map<string, HTMLButtonElement>());
  const namesList = useRef<HTMLDivElement>(null);
  const [refocus, setRefocus] = useState<string | null>(null);
  useEffect(() => {
    if (refocus === null) return;
    transferButtons.current.get(refocus)?.focus();
    setRefocus(null);
  }, [refocus]);
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
        <div ref={namesList} tabIndex={-1} role="group" aria-label={t('wallet.myNames')} data-testid="my-names-group">
          {names && !names.names.length ? <Empty icon="tag" title={names.records.length ? t('wallet.noNamesNow') : t('wallet.noNames')} /> : null}
          <ul className="plain-list" data-testid="my-names">
            {names?.names.map((b) => (
              <li key={b.name} className="my-name" data-testid="my-name">
                <div className="my-name-line">
                  <span>
                    <strong>
                      <UserText text={b.name} />
                    </strong>
                    {b.expiresAt ? <span className="muted small"> · {t('wallet.expiresOn', { date: formatDateTime(b.expiresAt, 'date', timeZone) })}</span> : null}
                  </span>
                  {transferring === b.name ? null : (
                    <Button
                      variant="ghost"
                      ref={(el) => {
                        if (el) transferButtons.current.set(b.name, el);
                        else transferButtons.current.delete(b.name);
                      }}
                      onClick={() => setTransferring(b.name)}
                      aria-label={t('wallet.nameTransfer.open', { name: isolatedString(b.name) })}
                    >
                      {t('wallet.nameTransfer.button')}
                    </Button>
                  )}
                </div>
                {transferring === b.name ? (
                  <NameTransfer
                    name={b.name}
                    onClose={(given) => {
                      setTransferring(null);
                      if (given) namesList.current?.focus();
                      else setRefocus(b.name);
                    }}
                  />
                ) : null}
              </li>
            ))}
          </ul>
        </div>
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
