/** The admin screen's reading of the admin API: accounts, what may be done to them, and the requests that do it. */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export interface AdminUser {
  id: string;
  email: string;
  name: string;
  role: 'user' | 'admin';
  disabled: boolean;
  disabledReason: string | null;
  deleted: boolean;
  twoFactorEnabled: boolean;
  kycStatus: string;
}

/** An account of GET /admin/users. */
export function normalizeAdminUser(v: unknown): AdminUser {
  const o = obj(v);
  return {
    id: str(o.id) ?? '',
    email: str(o.email) ?? '',
    name: str(o.name) ?? '',
    role: o.role === 'admin' ? 'admin' : 'user',
    disabled: o.disabled === true,
    disabledReason: str(o.disabledReason),
    deleted: o.deleted === true,
    twoFactorEnabled: o.twoFactorEnabled === true,
    kycStatus: str(o.kycStatus) ?? 'none',
  };
}

export const ADMIN_ACTIONS = ['disable', 'enable', 'makeAdmin', 'makeUser'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/** What an admin may do to an account: never disable or demote themselves (the server refuses both), nothing to a deleted one. */
export function actionsFor(target: AdminUser, myId: string): AdminAction[] {
  if (target.deleted) return [];
  const self = target.id === myId;
  const actions: AdminAction[] = [];
  if (target.disabled) actions.push('enable');
  else if (!self) actions.push('disable');
  if (target.role === 'user') actions.push('makeAdmin');
  else if (!self) actions.push('makeUser');
  return actions;
}

/** The request an action sends: disabling carries its reason (trimmed), a role change the new role. */
export function actionRequest(userId: string, action: AdminAction, reason = ''): { path: string; body: Obj } {
  const base = `/admin/users/${encodeURIComponent(userId)}`;
  if (action === 'disable') return { path: `${base}/disable`, body: { reason: reason.trim() } };
  if (action === 'enable') return { path: `${base}/enable`, body: {} };
  return { path: `${base}/role`, body: { role: action === 'makeAdmin' ? 'admin' : 'user' } };
}

export interface UserFilters {
  q: string;
  role: '' | 'user' | 'admin';
  status: '' | 'active' | 'disabled';
  kycStatus: '' | 'none' | 'pending' | 'verified' | 'rejected';
}

/** The query of GET /admin/users for the filters: empty ones are left out, the search trimmed. */
export function searchQuery(f: UserFilters): Record<string, string | undefined> {
  const q = f.q.trim();
  return {
    q: q || undefined,
    role: f.role || undefined,
    disabled: f.status ? String(f.status === 'disabled') : undefined,
    kycStatus: f.kycStatus || undefined,
  };
}

export const ADMIN_TABS = ['users', 'kyc', 'announce'] as const;
export type AdminTab = (typeof ADMIN_TABS)[number];

/** The tab of `?tab=`, users when absent or unknown. */
export function adminTab(value: string | null): AdminTab {
  return (ADMIN_TABS as readonly string[]).includes(value ?? '') ? (value as AdminTab) : 'users';
}

/** Whether the signed-in user may use the admin screen: not an admin, an admin still without 2FA, or yes. */
export function adminAccess(user: { role: string; twoFactorEnabled: boolean } | null): 'none' | 'needs2fa' | 'ok' {
  if (user?.role !== 'admin') return 'none';
  return user.twoFactorEnabled ? 'ok' : 'needs2fa';
}

export const KYC_FIELDS = ['fullName', 'dateOfBirth', 'country', 'documentType', 'documentNumber'] as const;

/** The submitted KYC details an admin reviews, in a fixed order; fields missing from the submission are left out. */
export function kycRows(details: unknown): Array<[(typeof KYC_FIELDS)[number], string]> {
  const d = obj(details);
  return KYC_FIELDS.flatMap((f) => (typeof d[f] === 'string' && d[f] ? [[f, d[f] as string] as [(typeof KYC_FIELDS)[number], string]] : []));
}

/**
 * Whether an admin request was refused because the caller is no longer an admin with 2FA (403 `forbidden`
 * or `admin_2fa_required`): demoted, or 2FA turned off, while the page was open.
 */
export function lostAdminAccess(err: unknown): boolean {
  const e = obj(err);
  return e.status === 403 && (e.code === 'forbidden' || e.code === 'admin_2fa_required');
}

/**
 * One submitted KYC value as the admin reads it: a date of birth ("1990-04-01") as a date in `locale` (a calendar
 * day, so in UTC: no zone moves it), a country code ("JP") as the country's name with the code ("Japón (JP)");
 * anything else, or a value that does not read as one, as sent.
 */
export function kycValue(field: (typeof KYC_FIELDS)[number], value: string, locale: string): string {
  try {
    if (field === 'dateOfBirth' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
      const d = new Date(`${value}T00:00:00Z`);
      if (!Number.isNaN(d.getTime())) return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
    }
    if (field === 'country' && /^[A-Z]{2}$/.test(value)) {
      const name = new Intl.DisplayNames([locale], { type: 'region', fallback: 'none' }).of(value);
      if (name && name !== value) return `${name} (${value})`;
    }
  } catch {
    // an engine without these Intl parts shows the value as sent
  }
  return value;
}
