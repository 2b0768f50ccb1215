import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { adminAccess, adminTab, ADMIN_TABS, lostAdminAccess } from '../admin';
import { useAuth } from '../auth';
import { Card, Empty } from '../components/ui';
import { Link, navigate, useLocation } from '../router';
import { AdminAnnounce } from './AdminAnnounce';
import { AdminKyc } from './AdminKyc';
import { AdminUsers } from './AdminUsers';

/** Administration: accounts, the identity-check queue and announcements; for admins with two-step verification. */
export function AdminScreen() {
  const { t } = useTranslation();
  const { user, reloadUser } = useAuth();
  const { search } = useLocation();
  const qc = useQueryClient();
  const access = adminAccess(user);
  // an admin demoted (or whose 2FA went off) while the page is open: the first refused request reloads the
  // account, so the page tells them it is for administrators (or asks for 2FA) and the Admin tab goes
  useEffect(() => {
    const check = (event: { type: string; action?: { type: string; error?: unknown } }) => {
      if (event.type === 'updated' && event.action?.type === 'error' && lostAdminAccess(event.action.error)) void reloadUser().catch(() => undefined);
    };
    const offQueries = qc.getQueryCache().subscribe(check);
    const offMutations = qc.getMutationCache().subscribe(check);
    return () => {
      offQueries();
      offMutations();
    };
  }, [qc, reloadUser]);
  const tab = adminTab(search.get('tab'));
  if (access === 'none') return <Empty icon="shield" title={t('admin.forbidden')} hint={t('admin.forbiddenHint')} />;
  return (
    <div className="admin">
      <div className="page-head">
        <h1>{t('admin.title')}</h1>
      </div>
      {access === 'needs2fa' ? (
        <Card title={t('admin.needs2fa')}>
          <p data-testid="admin-needs-2fa">{t('admin.needs2faHint')}</p>
          <Link to="/settings" className="btn btn-primary">
            {t('admin.goSettings')}
          </Link>
        </Card>
      ) : (
        <>
          <div className="tabs" role="tablist" aria-label={t('admin.title')}>
            {ADMIN_TABS.map((k) => (
              <button key={k} role="tab" aria-selected={tab === k} className={tab === k ? 'tab active' : 'tab'} onClick={() => navigate(k === 'users' ? '/admin' : `/admin?tab=${k}`)}>
                {t(`admin.tabs.${k}`)}
              </button>
            ))}
          </div>
          {tab === 'users' ? <AdminUsers myId={user?.id ?? ''} /> : null}
          {tab === 'kyc' ? <AdminKyc myId={user?.id ?? ''} /> : null}
          {tab === 'announce' ? <AdminAnnounce /> : null}
        </>
      )}
    </div>
  );
}
