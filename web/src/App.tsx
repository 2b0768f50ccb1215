import { lazy, Suspense, useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useAuth } from './auth';
import { Layout } from './components/Layout';
import { Spinner } from './components/ui';
import { safeNext } from './next';
import { Redirect, useLocation } from './router';
import { ForgotPassword, ResetPassword, SignIn, SignUp, VerifyEmail } from './screens/Auth';
import { AdminScreen } from './screens/Admin';
import { ChatScreen } from './screens/Chat';
import { NotificationsScreen } from './screens/Notifications';
import { PetHome } from './screens/PetHome';
import { SettingsScreen } from './screens/Settings';
import { WalletScreen } from './screens/Wallet';

/** The charts library only loads when someone opens the activity page. */
const ActivityScreen = lazy(() => import('./screens/Activity').then((m) => ({ default: m.ActivityScreen })));

const PUBLIC = ['/signin', '/signup', '/forgot-password', '/reset-password', '/verify-email'];

function Screen({ path }: { path: string }) {
  if (path === '/') return <PetHome />;
  if (path.startsWith('/chat')) return <ChatScreen />;
  if (path.startsWith('/wallet')) return <WalletScreen />;
  if (path.startsWith('/notifications')) return <NotificationsScreen />;
  if (path.startsWith('/activity')) return <ActivityScreen />;
  if (path.startsWith('/settings')) return <SettingsScreen />;
  if (path === '/admin') return <AdminScreen />;
  return <Redirect to="/" />;
}

export function App() {
  const { t } = useTranslation();
  const { status } = useAuth();
  const { path, search } = useLocation();
  const titleKey = `titles.${path.split('/')[1] || 'pet'}`;
  useEffect(() => {
    const title = t(titleKey, { defaultValue: '' });
    document.title = title ? `${title} · ${t('app.name')}` : t('app.name');
  }, [t, titleKey]);

  if (path === '/verify-email') return <VerifyEmail />;
  if (path === '/reset-password') return <ResetPassword />;
  if (status === 'loading')
    return (
      <div className="center-page">
        <Spinner label={t('auth.restoring')} />
      </div>
    );
  if (status === 'anonymous') {
    if (path === '/signup') return <SignUp />;
    if (path === '/forgot-password') return <ForgotPassword />;
    if (path === '/signin') return <SignIn />;
    const next = path === '/' ? '' : `?next=${encodeURIComponent(path + (search.toString() ? `?${search}` : ''))}`;
    return <Redirect to={`/signin${next}`} />;
  }
  if (PUBLIC.includes(path)) return <Redirect to={safeNext(search.get('next'))} />;
  return (
    <Layout>
      <Suspense fallback={<Spinner />}>
        <Screen path={path} />
      </Suspense>
    </Layout>
  );
}
