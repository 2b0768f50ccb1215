import { Icon, type IconName } from './Icon';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useLayoutEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { useAuth } from '../auth';
import { normalizeNotification, obj, str, unreadCountOf } from '../model';
import { Link, useLocation } from '../router';
import { useSocket, useSocketEvent } from '../socket';
import { useToast } from './ui';

const NAV: { to: string; key: string; icon: IconName }[] = [
  { to: '/', key: 'nav.pet', icon: 'paw' },
  { to: '/chat', key: 'nav.chat', icon: 'chat' },
  { to: '/wallet', key: 'nav.wallet', icon: 'wallet' },
  { to: '/activity', key: 'nav.activity', icon: 'chart' },
  { to: '/settings', key: 'nav.settings', icon: 'gear' },
];
/** Only admins see this tab (the screen itself refuses anyone else). */
const ADMIN_NAV: (typeof NAV)[number] = { to: '/admin', key: 'admin.tab', icon: 'shield' };

/**
 * Unread chat messages across the user's pets (GET /chats/unread) for the Chat tab's badge. Off the chat
 * page only (the badge is hidden there, and a burst of chat would otherwise refetch it per message);
 * messages from a pet or the system mark it stale at most once a second, the user's own do not.
 */
function useUnreadChats(onChat: boolean): number {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['unread'], queryFn: async () => Number(obj(await api('/chats/unread')).total ?? 0), retry: 1, enabled: !onChat });
  const pending = useRef<number | null>(null);
  useSocketEvent('chat:message', (payload) => {
    if (str(obj(payload.data).sender ?? payload.sender) === 'user' || pending.current !== null) return;
    pending.current = window.setTimeout(() => {
      pending.current = null;
      void qc.invalidateQueries({ queryKey: ['unread'] });
    }, 1_000);
  });
  useEffect(() => () => void (pending.current !== null && window.clearTimeout(pending.current)), []);
  return onChat ? 0 : (q.data ?? 0);
}

export function useUnreadCount(): number | undefined {
  const q = useQuery({ queryKey: ['unread-count'], queryFn: async () => unreadCountOf(await api('/notifications/unread-count')), retry: 1 });
  return q.data;
}

function Bell() {
  const { t } = useTranslation();
  const count = useUnreadCount() ?? 0;
  const [pulse, setPulse] = useState(false);
  useSocketEvent('notification', () => {
    setPulse(true);
    window.setTimeout(() => setPulse(false), 1200);
  });
  return (
    <Link to="/notifications" className={`bell${pulse ? ' bell-pulse' : ''}`} aria-label={t('notifications.bell', { count })} data-testid="bell">
      <Icon name="bell" />
      {count > 0 ? (
        <span className="bell-count" data-testid="bell-count">
          {count > 99 ? '99+' : count}
        </span>
      ) : null}
    </Link>
  );
}

/** Toasts for high and urgent notifications as they arrive. */
function NotificationToasts() {
  const toast = useToast();
  useSocketEvent('notification', (payload) => {
    const n = normalizeNotification(payload);
    if (n.priority === 'high' || n.priority === 'urgent') toast({ title: n.title, body: n.body, tone: n.priority === 'urgent' ? 'urgent' : 'info' });
  });
  useSocketEvent('system:announcement', (payload) => {
    const n = normalizeNotification(payload);
    toast({ title: n.title, body: n.body, tone: 'urgent' });
  });
  return null;
}

/** The smallest size (in rem) the tab bar's labels shrink to; a label still too long for its tab ends in an ellipsis. */
const TAB_LABEL_MIN_REM = 0.55;

/**
 * Fits the phone tab bar's labels ("Einstellungen", "アクティビティ") into their equal-width tabs: labels never
 * wrap, and when one is wider than its tab every label gets the largest smaller size (the `--tab-font` of the
 * bar, at least TAB_LABEL_MIN_REM) at which the widest fits, so the five stay alike. Measured again when the
 * language or the bar's width changes (the bar is hidden on wide screens, where there is nothing to fit).
 */
function useFittedTabLabels(bar: RefObject<HTMLElement | null>, language: string): void {
  useLayoutEffect(() => {
    const el = bar.current;
    if (!el) return;
    const fit = () => {
      el.style.removeProperty('--tab-font');
      const labels = [...el.querySelectorAll<HTMLElement>('.tab-label')];
      const scale = Math.min(1, ...labels.map((l) => (l.scrollWidth > l.clientWidth && l.scrollWidth > 0 ? l.clientWidth / l.scrollWidth : 1)));
      if (scale >= 1 || !labels.length) return;
      const base = parseFloat(getComputedStyle(labels[0]).fontSize);
      const min = TAB_LABEL_MIN_REM * parseFloat(getComputedStyle(document.documentElement).fontSize);
      el.style.setProperty('--tab-font', `${Math.max(min, Math.floor(base * scale * 10) / 10)}px`);
    };
    fit();
    const observer = new ResizeObserver(fit);
    observer.observe(el);
    void document.fonts?.ready.then(fit);
    return () => observer.disconnect();
  }, [bar, language]);
}

export function Layout({ children }: { children: ReactNode }) {
  const { t, i18n } = useTranslation();
  const tabbar = useRef<HTMLElement>(null);
  useFittedTabLabels(tabbar, i18n.language);
  const { path } = useLocation();
  const { user } = useAuth();
  const nav = user?.role === 'admin' ? [...NAV, ADMIN_NAV] : NAV;
  const { connected } = useSocket();
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener('online', up);
    window.addEventListener('offline', down);
    return () => {
      window.removeEventListener('online', up);
      window.removeEventListener('offline', down);
    };
  }, []);
  const active = (to: string) => (to === '/' ? path === '/' : path.startsWith(to));
  const unreadChats = useUnreadChats(path.startsWith('/chat'));
  const badge = (to: string) =>
    to === '/chat' && unreadChats > 0 ? (
      <span className="nav-badge" aria-label={t('chat.unread', { count: unreadChats })}>
        {unreadChats > 99 ? '99+' : unreadChats}
      </span>
    ) : null;
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        {t('common.skipToContent')}
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label={t('app.name')}>
          <span className="brand-mark" aria-hidden="true">
            <Icon name="egg" size={24} />
          </span>
          <span className="brand-name">{t('app.name')}</span>
        </Link>
        <nav className="topnav" aria-label={t('nav.label')}>
          {nav.map((n) => (
            <Link key={n.to} to={n.to} className={active(n.to) ? 'active' : ''} aria-current={active(n.to) ? 'page' : undefined}>
              {t(n.key)}
              {badge(n.to)}
            </Link>
          ))}
        </nav>
        <span className={`live-dot${connected ? ' on' : ''}`} title={connected ? t('common.live') : t('common.offline')} aria-label={connected ? t('common.live') : t('common.offline')} role="img" />
        <Bell />
      </header>
      {!online ? (
        <div className="banner" role="status">
          {t('common.offlineBanner')}
        </div>
      ) : null}
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
      <nav className="tabbar" aria-label={t('nav.label')} ref={tabbar}>
        {nav.map((n) => (
          <Link key={n.to} to={n.to} className={active(n.to) ? 'active' : ''} aria-current={active(n.to) ? 'page' : undefined}>
            <Icon name={n.icon} />
            <span className="tab-label">{t(n.key)}</span>
            {badge(n.to)}
          </Link>
        ))}
      </nav>
      <NotificationToasts />
    </div>
  );
}
