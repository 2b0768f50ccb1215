import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api';
import { useAuth } from '../auth';
import { Button, Card, ErrorBox, Field, fieldErrors, useToast } from '../components/ui';
import { navigate } from '../router';

/** Problems about a mailed code carry no field: they belong beside the code input. */
const CODE_PROBLEMS = ['code_invalid', 'code_expired'];

/** Field problems of an API error, the mailed code's own problems placed on `code`. */
function problemsByField(error: unknown): Record<string, string> {
  const out = fieldErrors(error);
  if (error instanceof ApiError && CODE_PROBLEMS.includes(error.code)) out.code = error.problem.detail ?? error.problem.title ?? '';
  return out;
}

const digitsOnly = (value: string) => value.replace(/\D/g, '').slice(0, 6);

/** The step-up both forms ask for: the current password, and the authenticator code when 2FA is on. */
function StepUpFields(props: {
  password: string;
  onPassword: (v: string) => void;
  totpCode: string;
  onTotpCode: (v: string) => void;
  twoFactor: boolean;
  errors: Record<string, string>;
  autoFocus?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <>
      <Field
        label={t('settings.account.password')}
        type="password"
        autoComplete="current-password"
        autoFocus={props.autoFocus}
        value={props.password}
        onChange={(e) => props.onPassword(e.target.value)}
        error={props.errors.currentPassword}
      />
      {props.twoFactor ? (
        <Field
          label={t('settings.account.totpCode')}
          value={props.totpCode}
          onChange={(e) => props.onTotpCode(digitsOnly(e.target.value))}
          inputMode="numeric"
          autoComplete="one-time-code"
          error={props.errors.totpCode}
        />
      ) : null}
    </>
  );
}

/** Changing the sign-in address: password (and authenticator code), then the code mailed to the new address. */
function ChangeEmail() {
  const { t } = useTranslation();
  const { user, reloadUser } = useAuth();
  const toast = useToast();
  const [newEmail, setNewEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totpCode, setTotpCode] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const request = useMutation({
    mutationFn: () => api('/me/email', { method: 'POST', body: { newEmail: newEmail.trim(), currentPassword: password, ...(user?.twoFactorEnabled ? { totpCode } : {}) } }),
    onSuccess: () => {
      setSentTo(newEmail.trim());
      setPassword('');
      setTotpCode('');
    },
  });
  const confirm = useMutation({
    mutationFn: () => api('/me/email/confirm', { method: 'POST', body: { code } }),
    onSuccess: async () => {
      await reloadUser();
      toast({ title: t('settings.account.emailChanged'), tone: 'good' });
      setSentTo(null);
      setNewEmail('');
      setCode('');
    },
  });
  const requestErrors = fieldErrors(request.error);
  const confirmErrors = problemsByField(confirm.error);
  if (sentTo) {
    return (
      <Card title={t('settings.account.changeEmail')}>
        <form
          // a form of its own (not the request form's inputs reused), so the code input mounts and takes the focus
          key="confirm"
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            confirm.mutate();
          }}
        >
          <p className="muted small">{t('settings.account.codeSent', { email: sentTo })}</p>
          <Field
            label={t('settings.account.emailCode')}
            // the form typed into has just been replaced by this one: keyboard focus goes on with it
            autoFocus
            value={code}
            onChange={(e) => setCode(digitsOnly(e.target.value))}
            inputMode="numeric"
            autoComplete="one-time-code"
            error={confirmErrors.code}
          />
          {confirm.error && !(confirm.error instanceof ApiError && CODE_PROBLEMS.includes(confirm.error.code)) ? <ErrorBox error={confirm.error} shown={['code']} /> : null}
          <div className="row">
            <Button type="submit" busy={confirm.isPending} disabled={code.length !== 6}>
              {t('settings.account.confirmEmail')}
            </Button>
            <Button
              type="button"
              variant="ghost"
              onClick={() => {
                setSentTo(null);
                setCode('');
                confirm.reset();
              }}
            >
              {t('common.cancel')}
            </Button>
          </div>
        </form>
      </Card>
    );
  }
  return (
    <Card title={t('settings.account.changeEmail')}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          request.mutate();
        }}
      >
        <p className="muted small">{t('settings.account.changeEmailHint')}</p>
        <Field label={t('settings.account.newEmail')} type="email" autoComplete="email" value={newEmail} onChange={(e) => setNewEmail(e.target.value)} maxLength={254} error={requestErrors.newEmail} />
        <StepUpFields password={password} onPassword={setPassword} totpCode={totpCode} onTotpCode={setTotpCode} twoFactor={user?.twoFactorEnabled === true} errors={requestErrors} />
        {request.error ? <ErrorBox error={request.error} shown={['newEmail', 'currentPassword', 'totpCode']} /> : null}
        <Button type="submit" busy={request.isPending} disabled={!newEmail.trim() || !password || (user?.twoFactorEnabled === true && totpCode.length !== 6)}>
          {t('settings.account.sendCode')}
        </Button>
      </form>
    </Card>
  );
}

/** Deleting the account: what it does, then password (and authenticator code) and an explicit confirmation. */
function DeleteAccount() {
  const { t } = useTranslation();
  const { user, signOut } = useAuth();
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [totpCode, setTotpCode] = useState('');
  const [understood, setUnderstood] = useState(false);
  const remove = useMutation({
    mutationFn: () => api('/me', { method: 'DELETE', body: { currentPassword: password, ...(user?.twoFactorEnabled ? { totpCode } : {}) } }),
    onSuccess: async () => {
      await signOut();
      toast({ title: t('settings.account.deleted'), tone: 'good' });
      navigate('/signin', { replace: true });
    },
  });
  const errors = fieldErrors(remove.error);
  return (
    <Card title={t('settings.account.deleteAccount')}>
      <p className="muted small">{t('settings.account.deleteHint')}</p>
      {!open ? (
        <Button variant="danger" onClick={() => setOpen(true)}>
          {t('settings.account.deleteStart')}
        </Button>
      ) : (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            remove.mutate();
          }}
        >
          <StepUpFields password={password} onPassword={setPassword} totpCode={totpCode} onTotpCode={setTotpCode} twoFactor={user?.twoFactorEnabled === true} errors={errors} autoFocus />
          <label className="switch small">
            <input type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />
            <span>{t('settings.account.deleteConfirm')}</span>
          </label>
          {remove.error ? <ErrorBox error={remove.error} shown={['currentPassword', 'totpCode']} /> : null}
          <div className="row">
            <Button type="submit" variant="danger" busy={remove.isPending} disabled={!understood || !password || (user?.twoFactorEnabled === true && totpCode.length !== 6)}>
              {t('settings.account.deleteForever')}
            </Button>
            <Button
              type="button"
              variant="ghost"
              onClick={() => {
                setOpen(false);
                setPassword('');
                setTotpCode('');
                setUnderstood(false);
                remove.reset();
              }}
            >
              {t('common.cancel')}
            </Button>
          </div>
        </form>
      )}
    </Card>
  );
}

/** The account's own Settings cards: changing the email address and deleting the account. */
export function AccountSettings() {
  return (
    <>
      <ChangeEmail />
      <DeleteAccount />
    </>
  );
}
