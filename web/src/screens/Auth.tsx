import { useMutation } from '@tanstack/react-query';
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api';
import { useAuth } from '../auth';
import { PetSvg } from '../components/PetSvg';
import { Button, ErrorBox, Field, fieldErrors } from '../components/ui';
import { currentLocale, LOCALES, NATIVE_NAMES, switchLocale, type Locale } from '../i18n';
import { safeNext } from '../next';
import { Link, navigate, useLocation } from '../router';

function LanguagePicker() {
  const { t } = useTranslation();
  return (
    <label className="lang-picker">
      <span className="sr-only">{t('settings.language')}</span>
      <select value={currentLocale()} onChange={(e) => void switchLocale(e.target.value as Locale)} aria-label={t('settings.language')}>
        {LOCALES.map((l) => (
          <option key={l} value={l}>
            {NATIVE_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * The mutation's mutate, ignoring calls while one is in flight: isPending reaches the disabled button only
 * on the next render, so a quick double click would otherwise send the form twice.
 */
function useMutateOnce(m: { mutateAsync(): Promise<unknown> }): () => void {
  const inFlight = useRef(false);
  return () => {
    if (inFlight.current) return;
    inFlight.current = true;
    void m
      .mutateAsync()
      .catch(() => undefined)
      .finally(() => {
        inFlight.current = false;
      });
  };
}

function AuthFrame({ title, subtitle, children, footer }: { title: string; subtitle?: string; children: ReactNode; footer?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <div className="auth-page">
      <div className="auth-top">
        <span className="brand-name">{t('app.name')}</span>
        <LanguagePicker />
      </div>
      <main className="auth-card" id="main">
        <div className="auth-hero" aria-hidden="true">
          <PetSvg stage="baby" mood="happy" size={120} />
        </div>
        <h1>{title}</h1>
        {subtitle ? <p className="muted">{subtitle}</p> : null}
        {children}
        {footer ? <div className="auth-footer">{footer}</div> : null}
      </main>
    </div>
  );
}

export function SignIn() {
  const { t } = useTranslation();
  const { signIn, sessionEnded } = useAuth();
  const { search } = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totpCode, setTotpCode] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const m = useMutation({
    mutationFn: () => signIn({ email, password, code: needTotp ? totpCode.replace(/\s/g, '') : undefined }),
    onSuccess: () => navigate(safeNext(search.get('next')), { replace: true }),
    onError: (err) => {
      if (err instanceof ApiError && err.code === 'totp_required') setNeedTotp(true);
    },
  });
  const send = useMutateOnce(m);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    send();
  };
  const showError = m.error && !(m.error instanceof ApiError && m.error.code === 'totp_required' && !totpCode);
  return (
    <AuthFrame
      title={needTotp ? t('auth.totpTitle') : t('auth.signInTitle')}
      subtitle={needTotp ? t('auth.totpHint') : t('auth.signInSubtitle')}
      footer={
        <>
          <Link to="/forgot-password">{t('auth.forgot')}</Link>
          <span>
            {t('auth.noAccount')} <Link to="/signup">{t('auth.signUp')}</Link>
          </span>
        </>
      }
    >
      <form onSubmit={submit} className="form" noValidate>
        {sessionEnded && !needTotp ? (
          <p className="hint-box" role="status" data-testid="session-ended">
            {t('auth.sessionEnded')}
          </p>
        ) : null}
        {!needTotp ? (
          <>
            <Field label={t('auth.email')} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} name="email" />
            <Field label={t('auth.password')} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} name="password" />
          </>
        ) : (
          <Field label={t('auth.totpCode')} inputMode="numeric" autoComplete="one-time-code" autoFocus required value={totpCode} onChange={(e) => setTotpCode(e.target.value)} name="totpCode" hint={t('auth.recoveryHint')} />
        )}
        {showError ? <ErrorBox error={m.error} /> : null}
        <Button type="submit" busy={m.isPending} className="btn-block">
          {needTotp ? t('auth.verify') : t('auth.signIn')}
        </Button>
        {needTotp ? (
          <Button type="button" variant="ghost" onClick={() => (setNeedTotp(false), setTotpCode(''), m.reset())}>
            {t('common.back')}
          </Button>
        ) : null}
      </form>
    </AuthFrame>
  );
}

export function SignUp() {
  const { t } = useTranslation();
  const { signUp } = useAuth();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const m = useMutation({
    mutationFn: () => signUp({ name, email, password, locale: currentLocale() }),
    onSuccess: () => navigate('/', { replace: true }),
  });
  const send = useMutateOnce(m);
  const errs = fieldErrors(m.error);
  const tooShort = password.length > 0 && password.length < 10;
  return (
    <AuthFrame
      title={t('auth.signUpTitle')}
      subtitle={t('auth.signUpSubtitle')}
      footer={
        <span>
          {t('auth.haveAccount')} <Link to="/signin">{t('auth.signIn')}</Link>
        </span>
      }
    >
      <form
        className="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <Field label={t('auth.name')} autoComplete="nickname" required value={name} onChange={(e) => setName(e.target.value)} name="name" error={errs.name} />
        <Field label={t('auth.email')} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} name="email" error={errs.email} />
        <Field
          label={t('auth.password')}
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          name="password"
          error={errs.password}
          hint={tooShort ? t('auth.passwordShort', { count: 10 - password.length }) : t('auth.passwordHint')}
        />
        {m.error ? <ErrorBox error={m.error} shown={['name', 'email', 'password']} /> : null}
        <Button type="submit" busy={m.isPending} className="btn-block">
          {t('auth.createAccount')}
        </Button>
      </form>
    </AuthFrame>
  );
}

function DevOutboxHint() {
  const { t } = useTranslation();
  return (
    <p className="hint-box">
      {t('auth.devOutbox')} <a href="/api/v1/dev/outbox" target="_blank" rel="noreferrer">{t('auth.devOutboxLink')}</a>
    </p>
  );
}

export function ForgotPassword() {
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const m = useMutation({ mutationFn: () => api('/auth/password/forgot', { body: { email }, anonymous: true }) });
  const send = useMutateOnce(m);
  return (
    <AuthFrame title={t('auth.forgotTitle')} subtitle={t('auth.forgotSubtitle')} footer={<Link to="/signin">{t('auth.backToSignIn')}</Link>}>
      {m.isSuccess ? (
        <div className="success-box" role="status">
          <p>{t('auth.forgotSent', { email })}</p>
          <DevOutboxHint />
        </div>
      ) : (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
        >
          <Field label={t('auth.email')} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          {m.error ? <ErrorBox error={m.error} /> : null}
          <Button type="submit" busy={m.isPending} className="btn-block">
            {t('auth.sendLink')}
          </Button>
          <DevOutboxHint />
        </form>
      )}
    </AuthFrame>
  );
}

export function ResetPassword() {
  const { t } = useTranslation();
  const { search } = useLocation();
  const token = search.get('token') ?? '';
  const [password, setPassword] = useState('');
  const m = useMutation({ mutationFn: () => api('/auth/password/reset', { body: { token, password }, anonymous: true }) });
  const send = useMutateOnce(m);
  return (
    <AuthFrame title={t('auth.resetTitle')} footer={<Link to="/signin">{t('auth.backToSignIn')}</Link>}>
      {m.isSuccess ? (
        <div className="success-box" role="status">
          <p>{t('auth.resetDone')}</p>
          <Link to="/signin" className="btn btn-primary">
            {t('auth.signIn')}
          </Link>
        </div>
      ) : !token ? (
        <p className="error-box" role="alert">
          {t('auth.linkMissing')}
        </p>
      ) : (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
        >
          <Field label={t('auth.newPassword')} type="password" autoComplete="new-password" minLength={10} required value={password} onChange={(e) => setPassword(e.target.value)} hint={t('auth.passwordHint')} />
          {m.error ? <ErrorBox error={m.error} /> : null}
          <Button type="submit" busy={m.isPending} className="btn-block">
            {t('auth.resetButton')}
          </Button>
        </form>
      )}
    </AuthFrame>
  );
}

export function VerifyEmail() {
  const { t } = useTranslation();
  const { search } = useLocation();
  const token = search.get('token') ?? '';
  const m = useMutation({ mutationFn: () => api('/auth/verify-email', { body: { token }, anonymous: true }) });
  const send = useMutateOnce(m);
  return (
    <AuthFrame title={t('auth.verifyTitle')} footer={<Link to="/">{t('auth.continue')}</Link>}>
      {m.isSuccess ? (
        <p className="success-box" role="status">
          {t('auth.verified')}
        </p>
      ) : !token ? (
        <p className="error-box" role="alert">
          {t('auth.linkMissing')}
        </p>
      ) : (
        <>
          {m.error ? <ErrorBox error={m.error} /> : null}
          <Button busy={m.isPending} className="btn-block" onClick={send}>
            {t('auth.verifyButton')}
          </Button>
        </>
      )}
    </AuthFrame>
  );
}

export { LanguagePicker };
