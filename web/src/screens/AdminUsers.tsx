import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { actionRequest, actionsFor, normalizeAdminUser, searchQuery, type AdminAction, type AdminUser, type UserFilters } from '../admin';
import { api } from '../api';
import { isolatedString } from '../bidi';
import { Badge, Button, Card, Empty, ErrorBox, Field, fieldErrors, LoadMore, Spinner, useToast } from '../components/ui';
import { listOf } from '../model';

const NO_FILTERS: UserFilters = { q: '', role: '', status: '', kycStatus: '' };

/** The confirmation of one action on one account; disabling asks for its reason. */
function Confirm({ user, action, onDone, onCancel }: { user: AdminUser; action: AdminAction; onDone(): void; onCancel(): void }) {
  const { t } = useTranslation();
  const toast = useToast();
  const [reason, setReason] = useState('');
  const run = useMutation({
    mutationFn: () => {
      const { path, body } = actionRequest(user.id, action, reason);
      return api(path, { method: 'POST', body });
    },
    onSuccess: () => {
      toast({ title: t(`admin.done.${action}`, { name: isolatedString(user.name) }), tone: 'good' });
      onDone();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!run.isPending) run.mutate();
  };
  return (
    <form className="admin-confirm" onSubmit={submit} data-testid="admin-confirm">
      <p>{t(`admin.confirm.${action}`, { name: isolatedString(user.name) })}</p>
      {action === 'disable' ? (
        <Field label={t('admin.reason')} hint={t('admin.reasonHint')} value={reason} maxLength={500} required autoFocus onChange={(e) => setReason(e.target.value)} error={fieldErrors(run.error).reason} />
      ) : null}
      {run.error ? <ErrorBox error={run.error} shown={['reason']} /> : null}
      <div className="row">
        <Button type="submit" variant={action === 'disable' || action === 'makeUser' ? 'danger' : 'primary'} busy={run.isPending} disabled={action === 'disable' && !reason.trim()} autoFocus={action !== 'disable'}>
          {t('admin.confirmButton')}
        </Button>
        <Button type="button" variant="ghost" onClick={onCancel}>
          {t('common.cancel')}
        </Button>
      </div>
    </form>
  );
}

function UserRow({ user, myId, onChanged }: { user: AdminUser; myId: string; onChanged(): void }) {
  const { t } = useTranslation();
  const [action, setAction] = useState<AdminAction | null>(null);
  // the confirmation takes the focus (its action buttons are disabled meanwhile); cancelled, it goes back to the button that opened it
  const row = useRef<HTMLLIElement>(null);
  const [returnFocus, setReturnFocus] = useState<AdminAction | null>(null);
  useEffect(() => {
    if (action !== null || returnFocus === null) return;
    row.current?.querySelector<HTMLButtonElement>(`[data-testid="admin-${returnFocus}"]`)?.focus();
    setReturnFocus(null);
  }, [action, returnFocus]);
  return (
    <li data-testid="admin-user" ref={row}>
      <div className="admin-user">
        <div>
          <strong>{user.name}</strong> <span className="muted">{user.email}</span>
          <div className="row small">
            {user.id === myId ? <Badge tone="info">{t('admin.you')}</Badge> : null}
            {user.role === 'admin' ? <Badge tone="info">{t('admin.roles.admin')}</Badge> : null}
            {user.deleted ? <Badge tone="bad">{t('admin.deleted')}</Badge> : user.disabled ? <Badge tone="bad">{t('admin.disabled')}</Badge> : null}
            {user.twoFactorEnabled ? <Badge tone="good">{t('admin.twoFactor')}</Badge> : null}
            <Badge>{t(`admin.kyc.${user.kycStatus}`, { defaultValue: user.kycStatus })}</Badge>
          </div>
          {user.disabled && !user.deleted && user.disabledReason ? <p className="small muted">{t('admin.disabledBecause', { reason: isolatedString(user.disabledReason) })}</p> : null}
        </div>
        <div className="row">
          {actionsFor(user, myId).map((a) => (
            <Button key={a} variant="secondary" onClick={() => setAction(a)} disabled={action !== null} data-testid={`admin-${a}`}>
              {t(`admin.actions.${a}`)}
            </Button>
          ))}
        </div>
      </div>
      {action ? (
        <Confirm
          user={user}
          action={action}
          onCancel={() => {
            setReturnFocus(action);
            setAction(null);
          }}
          onDone={() => {
            setAction(null);
            onChanged();
          }}
        />
      ) : null}
    </li>
  );
}

/** Accounts searched by email or name and filtered; each can be disabled, enabled or given another role. */
export function AdminUsers({ myId }: { myId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [draft, setDraft] = useState(NO_FILTERS);
  const [filters, setFilters] = useState(NO_FILTERS);
  // the search field applies itself a moment after typing stops; the selects at once
  useEffect(() => {
    const timer = window.setTimeout(() => setFilters(draft), draft.q === filters.q ? 0 : 300);
    return () => window.clearTimeout(timer);
  }, [draft, filters.q]);
  const q = useInfiniteQuery({
    queryKey: ['admin-users', filters],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) => {
      const page = listOf(await api('/admin/users', { query: { ...searchQuery(filters), limit: 30, cursor: pageParam ?? undefined } }));
      return { ...page, items: page.items.map(normalizeAdminUser) };
    },
    getNextPageParam: (last) => (last.hasMore ? last.nextCursor : null),
  });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  const set = <K extends keyof UserFilters>(key: K, value: UserFilters[K]) => setDraft((d) => ({ ...d, [key]: value }));
  return (
    <Card>
      <div className="row admin-filters">
        <Field label={t('admin.search')} type="search" value={draft.q} maxLength={254} onChange={(e) => set('q', e.target.value)} data-testid="admin-search" />
        <label className="select-label">
          <span>{t('admin.role')}</span>
          <select value={draft.role} onChange={(e) => set('role', e.target.value as UserFilters['role'])}>
            <option value="">{t('admin.any')}</option>
            <option value="user">{t('admin.roles.user')}</option>
            <option value="admin">{t('admin.roles.admin')}</option>
          </select>
        </label>
        <label className="select-label">
          <span>{t('admin.status')}</span>
          <select value={draft.status} onChange={(e) => set('status', e.target.value as UserFilters['status'])}>
            <option value="">{t('admin.any')}</option>
            <option value="active">{t('admin.active')}</option>
            <option value="disabled">{t('admin.disabled')}</option>
          </select>
        </label>
        <label className="select-label">
          <span>{t('admin.kycFilter')}</span>
          <select value={draft.kycStatus} onChange={(e) => set('kycStatus', e.target.value as UserFilters['kycStatus'])}>
            <option value="">{t('admin.any')}</option>
            {(['none', 'pending', 'verified', 'rejected'] as const).map((s) => (
              <option key={s} value={s}>
                {t(`admin.kyc.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {q.isPending ? <Spinner /> : null}
      {q.error ? <ErrorBox error={q.error} onRetry={() => void q.refetch()} /> : null}
      {q.data && !items.length ? <Empty icon="users" title={t('admin.noUsers')} /> : null}
      <ul className="plain-list">
        {items.map((u) => (
          <UserRow key={u.id} user={u} myId={myId} onChanged={() => void qc.invalidateQueries({ queryKey: ['admin-users'] })} />
        ))}
      </ul>
      <LoadMore query={q} />
    </Card>
  );
}
