import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import QRCode from 'qrcode';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { useAuth } from '../auth';
import { Badge, Button, Card, Empty, ErrorBox, Field, fieldErrors, Spinner, useToast } from '../components/ui';
import { formatDateTime, formatRelative } from '../format';
import { currentLocale, LOCALES, NATIVE_NAMES, switchLocale, type Locale } from '../i18n';
import { loginOutcome } from '../logins';
import { listOf, obj, str } from '../model';
import { navigate } from '../router';
import { DEFAULT_TIME_ZONE, timeZoneChoices } from '../timezone';
import { AccountSettings } from './SettingsAccount';
import { SettingsNotifications } from './SettingsNotifications';

/** maxLength counts UTF-16 code units; the API allows 100 user-perceived characters within 1000 code units and answers a longer name. */
const NAME_INPUT_MAX = 1000;

function Profile() {
  const { t } = useTranslation();
  const { user, reloadUser } = useAuth();
  const toast = useToast();
  const [name, setName] = useState(user?.name ?? '');
  const save = useMutation({
    mutationFn: () => api('/me', { method: 'PATCH', body: { name: name.trim() } }),
    onSuccess: async () => {
      await reloadUser();
      toast({ title: t('settings.saved'), tone: 'good' });
    },
  });
  const verify = useMutation({ mutationFn: () => api('/auth/verify-email/request', { method: 'POST', body: {} }) });
  return (
    <Card title={t('settings.profile')}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Field label={t('auth.name')} value={name} onChange={(e) => setName(e.target.value)} maxLength={NAME_INPUT_MAX} error={fieldErrors(save.error).name} />
        <p className="muted small">
          {t('auth.email')}: <strong>{user?.email}</strong> {user?.emailVerified ? <Badge tone="good">{t('settings.verified')}</Badge> : <Badge tone="warn">{t('settings.unverified')}</Badge>}
        </p>
        {save.error ? <ErrorBox error={save.error} shown={['name']} /> : null}
        <div className="row">
          <Button type="submit" busy={save.isPending} disabled={!name.trim() || name.trim() === user?.name}>
            {t('common.save')}
          </Button>
          {!user?.emailVerified ? (
            <Button type="button" variant="ghost" busy={verify.isPending} onClick={() => verify.mutate()}>
              {verify.isSuccess ? t('settings.verifySent') : t('settings.sendVerify')}
            </Button>
          ) : null}
        </div>
        {verify.error ? <ErrorBox error={verify.error} /> : null}
      </form>
    </Card>
  );
}

function Language() {
  const { t } = useTranslation();
  const { reloadUser } = useAuth();
  // the app's language as it is now (it switches to the profile's after sign-in, after this mounted),
  // or the choice being saved
  const [picked, setPicked] = useState<Locale | null>(null);
  const value = picked ?? currentLocale();
  const save = useMutation({
    mutationFn: async (locale: Locale) => {
      await switchLocale(locale);
      await api('/me', { method: 'PATCH', body: { locale } });
      await reloadUser();
    },
    onSettled: () => setPicked(null),
  });
  return (
    <Card title={t('settings.language')}>
      <div className="lang-grid" role="radiogroup" aria-label={t('settings.language')}>
        {LOCALES.map((l) => (
          <label key={l} className={`lang-option${value === l ? ' active' : ''}`}>
            <input
              type="radio"
              name="locale"
              value={l}
              checked={value === l}
              onChange={() => {
                setPicked(l);
                save.mutate(l);
              }}
              data-testid={`locale-${l}`}
            />
            <span lang={l}>{NATIVE_NAMES[l]}</span>
          </label>
        ))}
      </div>
      {save.isPending ? <Spinner /> : null}
      {save.error ? <ErrorBox error={save.error} /> : null}
    </Card>
  );
}

function TimeZone() {
  const { t } = useTranslation();
  const { user, reloadUser } = useAuth();
  const toast = useToast();
  const zones = useMemo(() => timeZoneChoices(user?.timezone ?? null), [user?.timezone]);
  const save = useMutation({
    mutationFn: async (timezone: string) => {
      await api('/me', { method: 'PATCH', body: { timezone, preferences: { timezoneChosen: true } } });
      await reloadUser();
    },
    onSuccess: () => toast({ title: t('settings.saved'), tone: 'good' }),
  });
  const value = (save.isPending ? save.variables : null) ?? user?.timezone ?? DEFAULT_TIME_ZONE;
  return (
    <Card title={t('settings.timezone')}>
      <div className="field">
        <label htmlFor="timezone">{t('settings.timezoneLabel')}</label>
        <select id="timezone" value={value} disabled={save.isPending} onChange={(e) => save.mutate(e.target.value)} aria-describedby="timezone-hint">
          {zones.map((zone) => (
            <option key={zone} value={zone}>
              {zone.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
        <small id="timezone-hint" className="field-msg">
          {t('settings.timezoneHint')}
        </small>
      </div>
      {save.error ? <ErrorBox error={save.error} /> : null}
    </Card>
  );
}

function Sessions() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['sessions'], queryFn: async () => listOf(await api('/me/sessions'), 'sessions').items.map(obj) });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/me/sessions/${id}`, { method: 'DELETE' }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['sessions'] }),
  });
  return (
    <Card title={t('settings.sessions')}>
      {q.isPending ? <Spinner /> : null}
      {q.error ? <ErrorBox error={q.error} onRetry={() => void q.refetch()} /> : null}
      {q.data && !q.data.length ? <Empty icon="devices" title={t('settings.noSessions')} /> : null}
      {revoke.error ? <ErrorBox error={revoke.error} /> : null}
      <ul className="plain-list">
        {q.data?.map((s) => {
          const id = str(s.id) ?? '';
          const current = s.current === true || s.isCurrent === true;
          return (
            <li key={id} className="session">
              <div>
                <strong title={str(s.userAgent) ?? undefined}>{str(s.device) ?? t('settings.unknownDevice')}</strong> {current ? <Badge tone="good">{t('settings.thisDevice')}</Badge> : null}
                <p className="muted small">
                  {str(s.ip ?? s.ipAddress) ?? ''} · {t('settings.lastActive', { when: formatRelative(str(s.lastUsedAt ?? s.lastSeenAt ?? s.updatedAt ?? s.createdAt)) })}
                </p>
              </div>
              {!current ? (
                <Button variant="danger" busy={revoke.isPending && revoke.variables === id} onClick={() => revoke.mutate(id)}>
                  {t('settings.revoke')}
                </Button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

function TwoFactor() {
  const { t } = useTranslation();
  const { user, reloadUser } = useAuth();
  const [setup, setSetup] = useState<{ secret: string; url: string } | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [recovery, setRecovery] = useState<string[] | null>(null);
  useEffect(() => {
    if (setup) void QRCode.toDataURL(setup.url, { margin: 1, width: 200 }).then(setQr);
  }, [setup]);
  const start = useMutation({
    mutationFn: async () => obj(await api('/auth/2fa/setup', { method: 'POST', body: {} })),
    onSuccess: (o) => setSetup({ secret: str(o.secret) ?? '', url: str(o.otpauthUrl ?? o.otpauthUri ?? o.uri) ?? '' }),
  });
  const enable = useMutation({
    mutationFn: async () => obj(await api('/auth/2fa/enable', { body: { code: code.replace(/\s/g, ''), currentPassword: password } })),
    onSuccess: async (o) => {
      const codes = o.recoveryCodes ?? o.codes;
      setRecovery(Array.isArray(codes) ? codes.map(String) : []);
      setSetup(null);
      setCode('');
      setPassword('');
      await reloadUser();
    },
  });
  const disable = useMutation({
    mutationFn: () => api('/auth/2fa/disable', { body: /^\d{6}$/.test(code.trim()) ? { code: code.trim() } : { recoveryCode: code.trim() } }),
    onSuccess: async () => {
      setCode('');
      await reloadUser();
    },
  });
  return (
    <Card title={t('settings.twoFactor')}>
      {recovery ? (
        <div className="success-box" role="status">
          <p>{t('settings.recoveryCodes')}</p>
          <ul className="codes">
            {recovery.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <Button variant="secondary" onClick={() => setRecovery(null)}>
            {t('settings.savedCodes')}
          </Button>
        </div>
      ) : user?.twoFactorEnabled ? (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            disable.mutate();
          }}
        >
          <p>
            <Badge tone="good">{t('settings.twoFactorOn')}</Badge>
          </p>
          <Field label={t('settings.codeOrRecovery')} value={code} onChange={(e) => setCode(e.target.value)} autoComplete="one-time-code" />
          {disable.error ? <ErrorBox error={disable.error} /> : null}
          <Button type="submit" variant="danger" busy={disable.isPending} disabled={!code.trim()}>
            {t('settings.disable2fa')}
          </Button>
        </form>
      ) : setup ? (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            enable.mutate();
          }}
        >
          <p>{t('settings.scanQr')}</p>
          {qr ? <img className="qr" src={qr} width={200} height={200} alt={t('settings.qrAlt')} /> : <Spinner />}
          <p className="muted small">
            {t('settings.orEnter')} <code className="wrap">{setup.secret}</code>
          </p>
          <Field label={t('auth.totpCode')} value={code} inputMode="numeric" autoComplete="one-time-code" onChange={(e) => setCode(e.target.value)} />
          <Field
            label={t('settings.currentPassword')}
            hint={t('settings.currentPasswordHint')}
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={fieldErrors(enable.error).currentPassword}
          />
          {enable.error ? <ErrorBox error={enable.error} shown={['currentPassword']} /> : null}
          <div className="row">
            <Button type="submit" busy={enable.isPending} disabled={code.replace(/\s/g, '').length < 6 || !password}>
              {t('settings.enable2fa')}
            </Button>
            <Button
              type="button"
              variant="ghost"
              onClick={() => {
                setSetup(null);
                setPassword('');
              }}
            >
              {t('common.cancel')}
            </Button>
          </div>
        </form>
      ) : (
        <>
          <p className="muted">{t('settings.twoFactorHint')}</p>
          {start.error ? <ErrorBox error={start.error} /> : null}
          <Button busy={start.isPending} onClick={() => start.mutate()}>
            {t('settings.setup2fa')}
          </Button>
        </>
      )}
    </Card>
  );
}

function Logins() {
  const { t } = useTranslation();
  const q = useQuery({ queryKey: ['logins'], queryFn: async () => listOf(await api('/me/logins', { query: { limit: 20 } }), 'logins', 'history').items.map(obj) });
  return (
    <Card title={t('settings.loginHistory')}>
      {q.isPending ? <Spinner /> : null}
      {q.error ? <ErrorBox error={q.error} onRetry={() => void q.refetch()} /> : null}
      {q.data && !q.data.length ? <Empty icon="key" title={t('settings.noLogins')} /> : null}
      <ul className="plain-list">
        {q.data?.map((l, i) => {
          const outcome = loginOutcome({ success: l.success === true || l.succeeded === true || l.outcome === 'success', reason: str(l.reason), method: str(l.method) });
          return (
            <li key={str(l.id) ?? i} data-testid="login-entry">
              <Badge tone={outcome.tone}>{t(outcome.label)}</Badge> {outcome.detail ? `${t(outcome.detail)} · ` : ''}
              {formatDateTime(str(l.at ?? l.createdAt ?? l.timestamp))}
              <p className="muted small">
                {str(l.ip ?? l.ipAddress) ?? ''} · {str(l.device) ?? ''}
              </p>
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

export function SettingsScreen() {
  const { t } = useTranslation();
  const { signOut } = useAuth();
  return (
    <div className="settings">
      <div className="page-head">
        <h1>{t('settings.title')}</h1>
        <Button variant="secondary" onClick={() => void signOut().then(() => navigate('/signin', { replace: true }))}>
          {t('settings.signOut')}
        </Button>
      </div>
      <div className="grid-2">
        <div>
          <Profile />
          <Language />
          <TimeZone />
          <TwoFactor />
        </div>
        <div>
          <SettingsNotifications />
          <Sessions />
          <Logins />
          <AccountSettings />
        </div>
      </div>
    </div>
  );
}
