import { Icon, type IconName } from '../components/Icon';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Cell, Pie, PieChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { actionLabel } from '../actions';
import { api } from '../api';
import { Card, Empty, ErrorBox, LoadMore, Spinner } from '../components/ui';
import { formatRelative } from '../format';
import { currentLocale } from '../i18n';
import { countsOf, listOf, normalizeActivity, obj, str } from '../model';
import { DEFAULT_TIME_ZONE, recentDays } from '../timezone';
import { WithUserText } from './WalletParts';

const CATEGORIES = ['auth', 'pet', 'wallet', 'social', 'purchase', 'system'] as const;
const COLORS: Record<string, string> = { auth: '#7c6cf2', pet: '#ff7a59', wallet: '#2bb673', social: '#3aa0ff', purchase: '#ffb400', system: '#8a7f99' };
const ICON: Record<string, IconName> = { auth: 'key', pet: 'paw', wallet: 'wallet', social: 'users', purchase: 'bag', system: 'gear' };

/** A bar chart of counts by label (days, hours), described for screen readers by `label`. */
function CountChart({ data, label, color, corner, sparseTicks = false }: { data: Array<{ label: string; count: number }>; label: string; color: string; corner: number; sparseTicks?: boolean }) {
  const { t } = useTranslation();
  return (
    <div className="chart" role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height={200}>
        <BarChart data={data}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#eee3d8" />
          <XAxis dataKey="label" tick={{ fontSize: 11 }} {...(sparseTicks ? { interval: 'preserveStartEnd' as const, minTickGap: 24 } : {})} />
          <YAxis allowDecimals={false} width={28} tick={{ fontSize: 11 }} />
          <Tooltip />
          <Bar dataKey="count" name={t('activity.events')} fill={color} radius={[corner, corner, 0, 0]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function Stats({ days }: { days: number }) {
  const { t } = useTranslation();
  const q = useQuery({ queryKey: ['activity', 'stats', days], queryFn: async () => obj(await api('/activity/stats', { query: { days } })) });
  if (q.isPending) return <Spinner />;
  if (q.error) return <ErrorBox error={q.error} onRetry={() => void q.refetch()} />;
  const byCategory = countsOf(q.data.byCategory, 'category').filter((c) => c.count > 0);
  const timeZone = str(q.data.timeZone) || DEFAULT_TIME_ZONE;
  const counted = new Map(countsOf(q.data.daily, 'date').map((d) => [d.key.slice(0, 10), d.count]));
  const fmt = new Intl.DateTimeFormat(currentLocale(), { month: 'short', day: 'numeric', timeZone: 'UTC' });
  const daily = recentDays(Math.min(days, 90), timeZone).map((day) => ({ key: day, count: counted.get(day) ?? 0, label: fmt.format(new Date(`${day}T00:00:00Z`)) }));
  const hours = countsOf(q.data.topHours, 'hour').map((h) => ({ ...h, label: `${String(h.key).padStart(2, '0')}:00` }));
  const total = byCategory.reduce((s, c) => s + c.count, 0);
  if (!total) return <Empty icon="chart" title={t('activity.noStats')} />;
  return (
    <>
      <p className="muted" data-testid="stats-time-zone">
        {t('activity.inTimeZone', { timeZone })}
      </p>
      <div className="stats-grid">
        <Card title={t('activity.byCategory')}>
          <div className="chart" role="img" aria-label={t('activity.byCategoryAlt', { list: byCategory.map((c) => `${t(`categories.${c.key}`, { defaultValue: c.key })} ${c.count}`).join(', ') })}>
            <ResponsiveContainer width="100%" height={200}>
              <PieChart>
                <Pie isAnimationActive={false} data={byCategory.map((c) => ({ name: t(`categories.${c.key}`, { defaultValue: c.key }), value: c.count, key: c.key }))} dataKey="value" innerRadius={50} outerRadius={80} paddingAngle={2}>
                  {byCategory.map((c) => (
                    <Cell key={c.key} fill={COLORS[c.key] ?? '#999'} />
                  ))}
                </Pie>
                <Tooltip />
              </PieChart>
            </ResponsiveContainer>
          </div>
          <ul className="legend">
            {byCategory.map((c) => (
              <li key={c.key}>
                <i style={{ background: COLORS[c.key] ?? '#999' }} /> {t(`categories.${c.key}`, { defaultValue: c.key })} <strong>{c.count}</strong>
              </li>
            ))}
          </ul>
        </Card>
        <Card title={t('activity.dailyTrend')}>
          <CountChart data={daily} label={t('activity.dailyTrendAlt', { days })} color="#ff7a59" corner={4} sparseTicks />
        </Card>
        <Card title={t('activity.busiestHours')}>
          <CountChart data={hours} label={t('activity.busiestHoursAlt', { list: hours.map((h) => h.label).join(', ') })} color="#7c6cf2" corner={6} />
        </Card>
      </div>
    </>
  );
}

/** An entry's action: its label, or a generic one with the name the client (or a newer server) gave it, isolated. */
function ActionName({ action, role }: { action: string; role: 'actor' | 'subject' | null }) {
  const { t, i18n } = useTranslation();
  const label = actionLabel(action, (key) => i18n.exists(key), role);
  if (label.name === undefined) return <>{t(label.key)}</>;
  return <WithUserText line={(values) => t(label.key, values)} values={{ name: label.name }} />;
}

export function ActivityScreen() {
  const { t } = useTranslation();
  const [category, setCategory] = useState('');
  const [days, setDays] = useState(30);
  const q = useInfiniteQuery({
    queryKey: ['activity', 'list', category, days],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) => {
      const page = listOf(await api('/activity', { query: { limit: 30, cursor: pageParam ?? undefined, category: category || undefined, days } }), 'activities', 'activity', 'entries');
      return { ...page, items: page.items.map(normalizeActivity) };
    },
    getNextPageParam: (last) => (last.hasMore ? last.nextCursor : null),
  });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="activity">
      <div className="page-head">
        <h1>{t('activity.title')}</h1>
        <div className="row">
          <label className="select-label">
            <span>{t('activity.category')}</span>
            <select value={category} onChange={(e) => setCategory(e.target.value)}>
              <option value="">{t('activity.allCategories')}</option>
              {CATEGORIES.map((c) => (
                <option key={c} value={c}>
                  {t(`categories.${c}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="select-label">
            <span>{t('activity.period')}</span>
            <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {[7, 30, 90].map((d) => (
                <option key={d} value={d}>
                  {t('activity.lastDays', { count: d })}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      <Stats days={days} />
      <Card title={t('activity.feed')}>
        {q.isPending ? <Spinner /> : null}
        {q.error ? <ErrorBox error={q.error} onRetry={() => void q.refetch()} /> : null}
        {q.data && !items.length ? <Empty icon="list" title={t('activity.empty')} /> : null}
        <ul className="feed" data-testid="activity-feed">
          {items.map((a) => (
            <li key={a.id}>
              <span className="feed-icon" style={{ background: `${COLORS[a.category] ?? '#999'}22` }} aria-hidden="true">
                <Icon name={ICON[a.category] ?? 'gear'} size={20} />
              </span>
              <div>
                <strong>
                  <ActionName action={a.action} role={a.role} />
                </strong>
                <small className="muted">
                  {t(`categories.${a.category}`, { defaultValue: a.category })} · {formatRelative(a.at)}
                </small>
              </div>
            </li>
          ))}
        </ul>
        <LoadMore query={q} />
      </Card>
    </div>
  );
}
