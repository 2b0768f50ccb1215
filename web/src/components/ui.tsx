import { Icon, type IconName } from './Icon';
import { createContext, useCallback, useContext, useEffect, useId, useState, type ComponentProps, type InputHTMLAttributes, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api';

export function Spinner({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <div className="spinner" role="status" aria-live="polite">
      <span className="spinner-dot" aria-hidden="true" />
      <span className="spinner-label">{label ?? t('common.loading')}</span>
    </div>
  );
}

export function Button({ busy, variant = 'primary', children, className = '', ...rest }: ComponentProps<'button'> & { busy?: boolean; variant?: 'primary' | 'secondary' | 'ghost' | 'danger' }) {
  return (
    <button {...rest} className={`btn btn-${variant} ${className}`} aria-busy={busy || undefined} disabled={busy || rest.disabled}>
      {busy ? <span className="btn-spinner" aria-hidden="true" /> : null}
      {children}
    </button>
  );
}

/** The error's message as the API localized it (problem title/detail), or a friendly fallback. */
export function useErrorText(): (err: unknown) => { title: string; detail: string } {
  const { t } = useTranslation();
  return useCallback(
    (err: unknown) => {
      if (err instanceof ApiError) {
        if (err.code === 'network') return { title: t('errors.network.title'), detail: t('errors.network.detail') };
        return { title: err.problem.title || t('errors.generic.title'), detail: err.problem.detail || '' };
      }
      return { title: t('errors.generic.title'), detail: t('errors.generic.detail') };
    },
    [t],
  );
}

/**
 * A problem's title and detail, and the field problems no input shows: `shown` names the fields whose
 * inputs already show their problem (fieldErrors), so it is not told twice.
 */
/** "Load more" under a paged list while the query has another page. */
export function LoadMore({ query }: { query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => Promise<unknown> } }) {
  const { t } = useTranslation();
  if (!query.hasNextPage) return null;
  return (
    <Button variant="ghost" busy={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
      {t('common.loadMore')}
    </Button>
  );
}

export function ErrorBox({ error, onRetry, shown = [] }: { error: unknown; onRetry?: () => void; shown?: string[] }) {
  const { t } = useTranslation();
  const text = useErrorText()(error);
  const fields = (error instanceof ApiError ? error.problem.errors ?? [] : []).filter((f) => !shown.includes(f.field.replace(/^body\./, '')));
  return (
    <div className="error-box" role="alert">
      <strong>{text.title}</strong>
      {text.detail ? <p>{text.detail}</p> : null}
      {fields.length ? (
        <ul>
          {fields.map((f) => (
            <li key={f.field + f.message}>
              <code>{f.field.replace(/^body\./, '')}</code>: {f.message}
            </li>
          ))}
        </ul>
      ) : null}
      {onRetry ? (
        <Button variant="secondary" onClick={onRetry}>
          {t('common.retry')}
        </Button>
      ) : null}
    </div>
  );
}

export function Empty({ icon = 'sparkle', title, hint, children }: { icon?: IconName; title: string; hint?: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <div className="empty-icon" aria-hidden="true">
        <Icon name={icon} size={40} />
      </div>
      <p className="empty-title">{title}</p>
      {hint ? <p className="empty-hint">{hint}</p> : null}
      {children}
    </div>
  );
}

export function Field({ label, hint, error, ...rest }: InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: ReactNode; error?: string }) {
  const id = useId();
  return (
    <div className={`field${error ? ' field-error' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={hint || error ? `${id}-hint` : undefined} {...rest} />
      {error || hint ? (
        <small id={`${id}-hint`} className={error ? 'field-msg error' : 'field-msg'}>
          {error || hint}
        </small>
      ) : null}
    </div>
  );
}

/** Field problems of a 422 answer, keyed by field name without the "body." prefix. */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (err instanceof ApiError) for (const f of err.problem.errors ?? []) out[f.field.replace(/^body\./, '')] = f.message;
  return out;
}

export function Card({ title, actions, children, className = '' }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={`card ${className}`}>
      {title || actions ? (
        <header className="card-head">
          {title ? <h2>{title}</h2> : <span />}
          {actions}
        </header>
      ) : null}
      {children}
    </section>
  );
}

export function Badge({ tone = 'neutral', children }: { tone?: 'neutral' | 'good' | 'warn' | 'bad' | 'info'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

interface Toast {
  id: number;
  title: string;
  body?: string;
  tone: 'info' | 'good' | 'bad' | 'urgent';
}
const ToastContext = createContext<(toast: Omit<Toast, 'id'>) => void>(() => undefined);
let toastSeq = 0;

export function ToastProvider({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = (id: number) => setToasts((list) => list.filter((x) => x.id !== id));
  const push = useCallback((toast: Omit<Toast, 'id'>) => {
    const id = ++toastSeq;
    setToasts((list) => [...list.slice(-2), { ...toast, id }]);
    window.setTimeout(() => dismiss(id), toast.tone === 'urgent' ? 12_000 : toast.tone === 'good' ? 3_500 : 6_000);
  }, []);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div className="toasts" aria-live="polite" aria-relevant="additions">
        {toasts.map((toast) => (
          <div key={toast.id} className={`toast toast-${toast.tone}`} role={toast.tone === 'urgent' || toast.tone === 'bad' ? 'alert' : 'status'}>
            <div>
              <strong>{toast.title}</strong>
              {toast.body ? <p>{toast.body}</p> : null}
            </div>
            <button className="icon-btn" onClick={() => dismiss(toast.id)} aria-label={t('common.dismiss')}>
              <Icon name="close" size={18} />
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast() {
  return useContext(ToastContext);
}

export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(id);
  }, [intervalMs]);
  return now;
}

export function Meter({ label, value, tone }: { label: string; value: number; tone: string }) {
  const v = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div className="meter">
      <div className="meter-row">
        <span>{label}</span>
        <span>{v}</span>
      </div>
      <div className="meter-track" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={v}>
        <div className={`meter-fill tone-${tone}`} style={{ width: `${v}%` }} />
      </div>
    </div>
  );
}
