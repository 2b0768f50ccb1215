import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { kycRows, kycValue, normalizeAdminUser, type AdminUser } from '../admin';
import { api, ApiError } from '../api';
import { isolatedString } from '../bidi';
import { Button, Card, Empty, ErrorBox, Field, fieldErrors, LoadMore, Spinner, useErrorText, useToast } from '../components/ui';
import { currentLocale } from '../i18n';
import { listOf, obj } from '../model';

interface Submission {
  user: AdminUser;
  details: unknown;
}

/** One pending submission: its details, Approve, or Reject with a reason; the admin's own is left to another admin (403 kyc_self_review). */
function Review({ item, own, onDone }: { item: Submission; own: boolean; onDone(): void }) {
  const { t } = useTranslation();
  const toast = useToast();
  const errorText = useErrorText();
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const decide = useMutation({
    mutationFn: (status: 'verified' | 'rejected') =>
      api(`/admin/users/${encodeURIComponent(item.user.id)}/kyc`, { method: 'POST', body: status === 'rejected' ? { status, reason: reason.trim() } : { status } }),
    onSuccess: (_body, status) => {
      toast({ title: t(`admin.kycDone.${status}`, { name: isolatedString(item.user.name) }), tone: 'good' });
      onDone();
    },
    onError: (err) => {
      // decided by another admin meanwhile, or the account is gone: say so, and read the queue again (the item leaves it)
      if (err instanceof ApiError && (err.code === 'kyc_not_pending' || err.code === 'user_not_found')) {
        const { title, detail } = errorText(err);
        toast({ title, body: detail, tone: 'bad' });
        onDone();
      }
    },
  });
  const reject = (e: FormEvent) => {
    e.preventDefault();
    if (!decide.isPending) decide.mutate('rejected');
  };
  return (
    <li data-testid="admin-kyc-item">
      <strong>{item.user.name}</strong> <span className="muted">{item.user.email}</span>
      <dl className="admin-kyc">
        {kycRows(item.details).map(([field, value]) => (
          <div key={field}>
            <dt>{t(`admin.kycField.${field}`)}</dt>
            <dd>{field === 'documentType' ? t(`admin.documentTypes.${value}`, { defaultValue: value }) : kycValue(field, value, currentLocale())}</dd>
          </div>
        ))}
      </dl>
      {decide.error ? <ErrorBox error={decide.error} shown={rejecting ? ['reason'] : []} /> : null}
      {own ? (
        <p className="small muted">{t('admin.kycOwn')}</p>
      ) : rejecting ? (
        <form onSubmit={reject}>
          <Field label={t('admin.rejectReason')} value={reason} maxLength={500} required autoFocus onChange={(e) => setReason(e.target.value)} error={fieldErrors(decide.error).reason} />
          <div className="row">
            <Button type="submit" variant="danger" busy={decide.isPending} disabled={!reason.trim()}>
              {t('admin.reject')}
            </Button>
            <Button type="button" variant="ghost" onClick={() => setRejecting(false)}>
              {t('common.cancel')}
            </Button>
          </div>
        </form>
      ) : (
        <div className="row">
          <Button busy={decide.isPending} onClick={() => decide.mutate('verified')} data-testid="admin-kyc-approve">
            {t('admin.approve')}
          </Button>
          <Button variant="secondary" onClick={() => setRejecting(true)} disabled={decide.isPending}>
            {t('admin.reject')}
          </Button>
        </div>
      )}
    </li>
  );
}

/** The identity checks waiting for a decision (GET /admin/kyc), oldest first. */
export function AdminKyc({ myId }: { myId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const q = useInfiniteQuery({
    queryKey: ['admin-kyc'],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) => {
      const page = listOf(await api('/admin/kyc', { query: { status: 'pending', limit: 20, cursor: pageParam ?? undefined } }));
      return { ...page, items: page.items.map((i): Submission => ({ user: normalizeAdminUser(obj(i).user), details: obj(i).details })) };
    },
    getNextPageParam: (last) => (last.hasMore ? last.nextCursor : null),
  });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Card title={t('admin.kycTitle')}>
      {q.isPending ? <Spinner /> : null}
      {q.error ? <ErrorBox error={q.error} onRetry={() => void q.refetch()} /> : null}
      {q.data && !items.length ? <Empty icon="check" title={t('admin.kycEmpty')} /> : null}
      <ul className="plain-list">
        {items.map((i) => (
          <Review key={i.user.id} item={i} own={i.user.id === myId} onDone={() => void qc.invalidateQueries({ queryKey: ['admin-kyc'] })} />
        ))}
      </ul>
      <LoadMore query={q} />
    </Card>
  );
}
