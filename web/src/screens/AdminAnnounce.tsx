import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { Button, Card, ErrorBox, Field, fieldErrors, useToast } from '../components/ui';

const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;

/** An announcement to every user (POST /admin/announcements), sent after a confirmation. */
export function AdminAnnounce() {
  const { t } = useTranslation();
  const toast = useToast();
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [priority, setPriority] = useState<(typeof PRIORITIES)[number]>('normal');
  const [days, setDays] = useState('');
  const [confirming, setConfirming] = useState(false);
  const send = useMutation({
    mutationFn: () =>
      api('/admin/announcements', { method: 'POST', body: { title: title.trim(), body: body.trim(), priority, ...(days ? { expiresInDays: Number(days) } : {}) } }),
    onSuccess: () => {
      toast({ title: t('admin.announceSent'), tone: 'good' });
      setTitle('');
      setBody('');
      setDays('');
      setConfirming(false);
    },
    onError: () => setConfirming(false),
  });
  const errs = fieldErrors(send.error);
  // what was confirmed is what is sent: an edit after the question asks it again
  const edit = (apply: () => void) => {
    apply();
    setConfirming(false);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!confirming) setConfirming(true);
    else if (!send.isPending) send.mutate();
  };
  return (
    <Card title={t('admin.announceTitle')}>
      <form className="form" onSubmit={submit}>
        <Field label={t('admin.announceHeading')} value={title} maxLength={200} required onChange={(e) => edit(() => setTitle(e.target.value))} error={errs.title} />
        <div className={`field${errs.body ? ' field-error' : ''}`}>
          <label htmlFor="announce-body">{t('admin.announceBody')}</label>
          <textarea id="announce-body" value={body} maxLength={4000} rows={4} required onChange={(e) => edit(() => setBody(e.target.value))} />
          {errs.body ? <small className="field-msg error">{errs.body}</small> : null}
        </div>
        <div className="row">
          <label className="select-label">
            <span>{t('admin.announcePriority')}</span>
            <select value={priority} onChange={(e) => edit(() => setPriority(e.target.value as (typeof PRIORITIES)[number]))}>
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {t(`priority.${p}`)}
                </option>
              ))}
            </select>
          </label>
          <Field label={t('admin.announceDays')} type="number" min={1} max={365} step={1} value={days} onChange={(e) => edit(() => setDays(e.target.value))} error={errs.expiresInDays} />
        </div>
        {send.error ? <ErrorBox error={send.error} shown={['title', 'body', 'expiresInDays']} /> : null}
        {confirming ? <p role="status">{t('admin.announceConfirm')}</p> : null}
        <div className="row">
          <Button type="submit" busy={send.isPending} disabled={!title.trim() || !body.trim()} data-testid="admin-announce-send">
            {confirming ? t('admin.confirmButton') : t('admin.announceSend')}
          </Button>
          {confirming ? (
            <Button type="button" variant="ghost" onClick={() => setConfirming(false)}>
              {t('common.cancel')}
            </Button>
          ) : null}
        </div>
      </form>
    </Card>
  );
}
