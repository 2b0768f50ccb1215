import { Icon, type IconName } from '../components/Icon';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { Badge, Button, Card, Empty, ErrorBox, LoadMore, Spinner } from '../components/ui';
import { formatRelative } from '../format';
import { listOf, normalizeNotification, obj, type Notification } from '../model';
import { Link } from '../router';

const ICON: Record<string, IconName> = {
  payment_received: 'coin',
  payment_sent: 'send',
  payment_request: 'wallet',
  transaction_pending: 'clock',
  transaction_confirmed: 'check',
  transaction_failed: 'alert',
  intent_funded: 'inbox',
  intent_executed: 'check',
  pet_evolved: 'sparkle',
  pet_needs_care: 'heart',
  streak_at_risk: 'flame',
  streak_lost: 'flame',
  gift_received: 'heart',
  security_alert: 'shield',
  system_announcement: 'megaphone',
};

interface TypePref {
  type: string;
  muted: boolean;
  mutable: boolean;
}

/** The preferences answer ({types: [{type, muted, mutable}]}): the server's list of types, in its order. */
function prefsOf(body: unknown): TypePref[] {
  const o = obj(body);
  const list = Array.isArray(o.types) ? o.types.map(obj) : [];
  return list.filter((p) => typeof p.type === 'string').map((p) => ({ type: String(p.type), muted: p.muted === true, mutable: p.mutable !== false }));
}

function Preferences() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['notification-prefs'], queryFn: async () => prefsOf(await api('/notifications/preferences')) });
  const save = useMutation({
    mutationFn: (prefs: TypePref[]) =>
      api('/notifications/preferences', {
        method: 'PUT',
        body: { muted: Object.fromEntries(prefs.filter((p) => p.mutable).map((p) => [p.type, p.muted])) },
      }),
    onSuccess: (body, prefs) => qc.setQueryData(['notification-prefs'], body ? prefsOf(body) : prefs),
  });
  if (q.isPending) return <Spinner />;
  if (q.error) return <ErrorBox error={q.error} onRetry={() => void q.refetch()} />;
  const prefs = save.isPending && save.variables ? save.variables : q.data;
  return (
    <Card title={t('notifications.prefsTitle')}>
      <p className="muted small">{t('notifications.prefsHint')}</p>
      {save.error ? <ErrorBox error={save.error} /> : null}
      <ul className="prefs">
        {prefs.map(({ type, muted, mutable }) => {
          const locked = !mutable;
          return (
            <li key={type}>
              <label className="switch">
                <input
                  type="checkbox"
                  checked={locked || !muted}
                  disabled={locked}
                  onChange={(e) => save.mutate(prefs.map((p) => (p.type === type ? { ...p, muted: !e.target.checked } : p)))}
                />
                <span>{t(`notificationTypes.${type}`, { defaultValue: type.replace(/_/g, ' ') })}</span>
                {locked ? <small className="muted">{t('notifications.cannotMute')}</small> : null}
              </label>
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

/** Where a notification leads: the wallet for money, the requests tab for requests, the pet for pet news. */
function targetOf(n: Notification): string | null {
  if (n.type.startsWith('intent_') || n.type === 'payment_request') return '/wallet?tab=requests';
  if (n.type.startsWith('payment_') || n.type.startsWith('transaction_')) return '/wallet';
  if (n.type.startsWith('pet_') || n.type.startsWith('streak_')) return '/';
  if (n.type === 'security_alert') return '/settings';
  return null;
}

function Item({ n, onRead }: { n: Notification; onRead(): void }) {
  const { t } = useTranslation();
  const target = targetOf(n);
  return (
    <li className={`notif${n.readAt ? '' : ' unread'} prio-${n.priority}`} data-testid="notification">
      <span className="notif-icon" aria-hidden="true">
        <Icon name={ICON[n.type] ?? 'bell'} />
      </span>
      <div className="notif-main">
        {target ? (
          <Link to={target} className="notif-link" onClick={() => !n.readAt && onRead()}>
            <strong>{n.title || t(`notificationTypes.${n.type}`, { defaultValue: n.type })}</strong>
          </Link>
        ) : (
          <strong>{n.title || t(`notificationTypes.${n.type}`, { defaultValue: n.type })}</strong>
        )}
        {n.body ? <p>{n.body}</p> : null}
        <small className="muted">
          {formatRelative(n.createdAt)}
          {n.priority === 'high' || n.priority === 'urgent' ? (
            <>
              {' '}
              <Badge tone="bad">{t(`priority.${n.priority}`)}</Badge>
            </>
          ) : null}
        </small>
      </div>
      {!n.readAt ? (
        <button className="icon-btn" onClick={onRead} aria-label={t('notifications.markRead')} title={t('notifications.markRead')}>
          <Icon name="check" size={18} />
        </button>
      ) : null}
    </li>
  );
}

export function NotificationsScreen() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [showPrefs, setShowPrefs] = useState(false);
  const q = useInfiniteQuery({
    queryKey: ['notifications', unreadOnly],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) => {
      const page = listOf(await api('/notifications', { query: { limit: 30, cursor: pageParam ?? undefined, unreadOnly: unreadOnly || undefined } }), 'notifications');
      return { ...page, items: page.items.map(normalizeNotification) };
    },
    getNextPageParam: (last) => (last.hasMore ? last.nextCursor : null),
  });
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['notifications'] });
    void qc.invalidateQueries({ queryKey: ['unread-count'] });
  };
  const read = useMutation({ mutationFn: (id: string) => api(`/notifications/${id}/read`, { method: 'POST', body: {} }), onSettled: refresh });
  const readAll = useMutation({ mutationFn: () => api('/notifications/read-all', { method: 'POST', body: {} }), onSettled: refresh });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  useEffect(() => {
    void api('/notifications/seen', { method: 'POST', body: {} }).catch(() => undefined);
  }, []);
  return (
    <div className="notifications">
      <div className="page-head">
        <h1>{t('notifications.title')}</h1>
        <div className="row">
          <label className="switch">
            <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} />
            <span>{t('notifications.unreadOnly')}</span>
          </label>
          <Button variant="secondary" busy={readAll.isPending} onClick={() => readAll.mutate()} disabled={!items.some((n) => !n.readAt)}>
            {t('notifications.markAll')}
          </Button>
          <Button variant="ghost" onClick={() => setShowPrefs((s) => !s)} aria-expanded={showPrefs}>
            {t('notifications.preferences')}
          </Button>
        </div>
      </div>
      {showPrefs ? <Preferences /> : null}
      <Card>
        {q.isPending ? <Spinner /> : null}
        {q.error ? <ErrorBox error={q.error} onRetry={() => void q.refetch()} /> : null}
        {read.error || readAll.error ? <ErrorBox error={read.error ?? readAll.error} /> : null}
        {q.data && !items.length ? <Empty icon="bell" title={t('notifications.empty')} hint={t('notifications.emptyHint')} /> : null}
        <ul className="notif-list">
          {items.map((n) => (
            <Item key={n.id} n={n} onRead={() => read.mutate(n.id)} />
          ))}
        </ul>
        <LoadMore query={q} />
      </Card>
    </div>
  );
}
