/** Pieces the wallet screens share: their queries, user-text isolation, amount field and copy button. */
import { Icon } from '../components/Icon';
import { useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { api, newIdempotencyKey } from '../api';
import { useAuth } from '../auth';
import type { AmountProblem } from '../amounts';
import { AttemptKeys } from '../attempts';
import { isolatedPieces, withoutBidiControls } from '../bidi';
import { Field } from '../components/ui';
import { amountPlaceholder, readAmount } from '../format';
import { listOf, normalizeWallet, obj } from '../model';
import { DEFAULT_TIME_ZONE } from '../timezone';

/** The badge tone of each transaction and payment-request status. */
export const STATUS_TONE: Record<string, 'good' | 'warn' | 'bad' | 'info' | 'neutral'> = {
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
export function useAttempts(): AttemptKeys {
  return useState(() => new AttemptKeys(newIdempotencyKey))[0];
}

/** User-written text (a memo, a name, a basename), isolated: its bidi controls cannot reorder the UI text around it. */
export function UserText({ text }: { text: string | null | undefined }) {
  return <bdi>{withoutBidiControls(text ?? '')}</bdi>;
}

/** A translated line with user-written values ("to {{who}}"), each isolated in a <bdi> of its own. */
export function WithUserText({ line, values }: { line(values: Record<string, string>): string; values: Record<string, string> }) {
  return <>{isolatedPieces(line, values).map((p, i) => (p.user ? <bdi key={i}>{p.text}</bdi> : <Fragment key={i}>{p.text}</Fragment>))}</>;
}

/** The profile's time zone, in which the wallet and the chat write times, as Activity counts its days and hours in it. */
export function useProfileTimeZone(): string {
  return useAuth().user?.timezone || DEFAULT_TIME_ZONE;
}

/** The caller's wallets with their balances (GET /wallets). */
export function useWallets() {
  return useQuery({ queryKey: ['wallets'], queryFn: async () => listOf(await api('/wallets'), 'wallets').items.map(normalizeWallet) });
}

/** Where the money lives (GET /chain): read once per page load. */
export function useChain() {
  return useQuery({ queryKey: ['chain'], queryFn: async () => obj(await api('/chain')), staleTime: Infinity, retry: false });
}

/** A button that copies the text and says so. */
export function Copy({ text, label }: { text: string; label: string }) {
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


export function amountProblem(t: TFunction, problem: AmountProblem | null): string | undefined {
  if (problem === 'grouping') return t('wallet.amountGrouping');
  if (problem === 'tooLarge') return t('wallet.amountTooLarge');
  return problem ? t('wallet.amountInvalid') : undefined;
}

/** The USDC amount input: kept as typed, the locale's placeholder, and the first thing wrong with it (the server's, then the reading's, then `extra`). */
export function AmountField({ value, onChange, serverError, extra, name }: { value: string; onChange(value: string): void; serverError?: string; extra?: string; name?: string }) {
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
