import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { Card, ErrorBox, Spinner, useToast } from '../components/ui';
import { EMAIL_CATEGORIES, emailPrefsOf, type EmailCategory, type EmailPrefs } from '../emailPrefs';

/** Which notifications also arrive by email, per category; mail goes only to a verified address. */
export function SettingsNotifications() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const toast = useToast();
  const labels: Record<EmailCategory, string> = {
    moneyReceived: t('notificationPrefs.categories.moneyReceived'),
    paymentRequests: t('notificationPrefs.categories.paymentRequests'),
    petCare: t('notificationPrefs.categories.petCare'),
    announcements: t('notificationPrefs.categories.announcements'),
  };
  const q = useQuery({ queryKey: ['notification-email-prefs'], queryFn: async () => emailPrefsOf(await api('/notifications/email-preferences')) });
  // a box shows the choice as soon as it is made and stays enabled while it saves (disabling it dropped the
  // keyboard's focus to the page body); a refused save puts the box back, with the error above the list
  const [pending, setPending] = useState<Partial<Record<EmailCategory, boolean>>>({});
  const save = useMutation({
    mutationFn: async (change: Partial<EmailPrefs>) => emailPrefsOf(await api('/notifications/email-preferences', { method: 'PUT', body: { email: change } })),
    onSuccess: (prefs) => {
      qc.setQueryData(['notification-email-prefs'], prefs);
      toast({ title: t('notificationPrefs.saved'), tone: 'good' });
    },
    onSettled: (_prefs, _err, change) =>
      setPending((p) => {
        const next = { ...p };
        for (const [c, v] of Object.entries(change) as Array<[EmailCategory, boolean]>) if (next[c] === v) delete next[c];
        return next;
      }),
  });
  const choose = (c: EmailCategory, value: boolean) => {
    setPending((p) => ({ ...p, [c]: value }));
    save.mutate({ [c]: value });
  };
  return (
    <Card title={t('notificationPrefs.title')}>
      <p className="muted small">{t('notificationPrefs.intro')}</p>
      {q.isPending ? <Spinner /> : null}
      {q.error ? <ErrorBox error={q.error} onRetry={() => void q.refetch()} /> : null}
      {q.data && !q.data.emailVerified ? <p className="muted small">{t('notificationPrefs.unverified')}</p> : null}
      {save.error ? <ErrorBox error={save.error} /> : null}
      {q.data ? (
        <ul className="prefs" data-testid="email-prefs">
          {EMAIL_CATEGORIES.map((c) => (
            <li key={c}>
              <label className="switch">
                <input type="checkbox" checked={pending[c] ?? q.data.email[c]} onChange={(e) => choose(c, e.target.checked)} />
                <span>{labels[c]}</span>
              </label>
            </li>
          ))}
        </ul>
      ) : null}
    </Card>
  );
}
