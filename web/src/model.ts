/** Shapes the web app reads from the API, mapped tolerantly so an added or renamed optional field never breaks a screen. */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : null);
const num = (v: unknown, d = 0): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : d;
};
const bool = (v: unknown): boolean => v === true || v === 'true';

/** The list in a page answer ({pets: […]}, {items: […]} or a bare array) plus its cursor. */
export function listOf<T = unknown>(body: unknown, ...keys: string[]): { items: T[]; hasMore: boolean; nextCursor: string | null; total?: number } {
  if (Array.isArray(body)) return { items: body as T[], hasMore: false, nextCursor: null };
  const o = obj(body);
  let items: T[] = [];
  for (const k of [...keys, 'items', 'data', 'results']) {
    if (Array.isArray(o[k])) {
      items = o[k] as T[];
      break;
    }
  }
  return {
    items,
    hasMore: bool(o.hasMore),
    nextCursor: str(o.nextCursor),
    total: typeof o.total === 'number' ? o.total : undefined,
  };
}

export interface User {
  id: string;
  email: string;
  name: string;
  locale: string | null;
  role: string;
  emailVerified: boolean;
  twoFactorEnabled: boolean;
  timezone: string | null;
  /** Whether the user picked the time zone in Settings (preferences.timezoneChosen), so sign-in leaves it. */
  timezoneChosen: boolean;
  phone: string | null;
}

export function normalizeUser(body: unknown): User {
  const o = obj(obj(body).user ?? body);
  return {
    id: str(o.id) ?? '',
    email: str(o.email) ?? '',
    name: str(o.name) ?? str(o.displayName) ?? '',
    locale: str(o.locale),
    role: str(o.role) ?? 'user',
    emailVerified: bool(o.emailVerified) || !!o.emailVerifiedAt,
    twoFactorEnabled: bool(o.twoFactorEnabled) || bool(o.totpEnabled) || bool(o.mfaEnabled) || !!o.totpEnabledAt,
    timezone: str(o.timezone) ?? str(o.timeZone),
    timezoneChosen: obj(o.preferences).timezoneChosen === true,
    phone: str(o.phone),
  };
}

export const STAGES = ['egg', 'baby', 'child', 'teen', 'adult', 'unicorn'] as const;
export type Stage = (typeof STAGES)[number];
export const MOODS = ['ecstatic', 'happy', 'content', 'hungry', 'tired', 'sad', 'sick'] as const;
export type Mood = (typeof MOODS)[number];
export const INTERACTIONS = ['feed', 'play', 'groom'] as const;
export type Interaction = (typeof INTERACTIONS)[number];

export interface Pet {
  id: string;
  name: string;
  stage: Stage;
  mood: Mood;
  level: number;
  xp: number;
  happiness: number;
  health: number;
  energy: number;
  streak: number;
  longestStreak: number;
  personality: string[];
  nextStage: Stage | null;
  nextStageXp: number | null;
  streakAtRisk: boolean;
  streakHoursLeft: number | null;
  cooldowns: Partial<Record<Interaction, string>>;
  vacationUntil: string | null;
}

function asStage(v: unknown): Stage {
  return (STAGES as readonly string[]).includes(String(v)) ? (v as Stage) : 'egg';
}
function asMood(v: unknown): Mood {
  return (MOODS as readonly string[]).includes(String(v)) ? (v as Mood) : 'content';
}

export function normalizePet(body: unknown): Pet {
  const o = obj(obj(body).pet ?? body);
  const stats = obj(o.stats);
  const streakObj = obj(o.streak);
  const next = obj(o.nextStage);
  const stage = asStage(o.stage);
  const idx = STAGES.indexOf(stage);
  const cooldownsRaw = obj(o.cooldowns ?? o.cooldownUntil ?? o.nextInteractionAt);
  const cooldowns: Partial<Record<Interaction, string>> = {};
  for (const k of INTERACTIONS) {
    const v = cooldownsRaw[k];
    const at = str(obj(v).until ?? obj(v).availableAt ?? v);
    if (at) cooldowns[k] = at;
  }
  const personality = o.personality ?? o.traits ?? o.personalityTraits;
  return {
    id: str(o.id) ?? '',
    name: str(o.name) ?? '',
    stage,
    mood: asMood(o.mood),
    level: num(o.level, 1),
    xp: num(o.xp ?? o.experience),
    happiness: num(o.happiness ?? stats.happiness),
    health: num(o.health ?? stats.health),
    energy: num(o.energy ?? stats.energy),
    streak: typeof o.streak === 'object' && o.streak ? num(streakObj.current ?? streakObj.days) : num(o.streak ?? o.streakDays ?? o.currentStreak),
    longestStreak: num(o.longestStreak ?? streakObj.longest),
    personality: Array.isArray(personality) ? personality.map(String) : typeof personality === 'string' ? [personality] : [],
    nextStage: o.nextStage === null ? null : next.stage ? asStage(next.stage) : idx < STAGES.length - 1 ? STAGES[idx + 1] : null,
    nextStageXp: typeof next.xpRequired === 'number' ? next.xpRequired : null,
    streakAtRisk: streakObj.atRisk === true,
    streakHoursLeft: typeof streakObj.hoursLeft === 'number' ? streakObj.hoursLeft : null,
    cooldowns,
    vacationUntil: str(obj(o.vacation).active === true ? obj(o.vacation).until : null),
  };
}

export interface Requirement {
  kind: string;
  required: number;
  current: number;
  met: boolean;
}

export interface Evolution {
  next: Stage | null;
  automatic: boolean;
  ready: boolean;
  requirements: Requirement[];
}

/** GET /pets/:id/evolution: what the next stage needs and whether a manual evolve is possible. */
export function normalizeEvolution(body: unknown): Evolution {
  const next = obj(obj(body).next);
  const reqs = Array.isArray(next.requirements) ? next.requirements.map(obj) : [];
  return {
    next: next.stage ? asStage(next.stage) : null,
    automatic: next.automatic !== false,
    ready: next.ready === true,
    requirements: reqs.map((r) => ({ kind: str(r.kind) ?? '', required: num(r.required), current: num(r.current), met: r.met === true })),
  };
}

export interface ChatMessage {
  id: string;
  petId: string | null;
  sender: 'user' | 'pet' | 'system';
  content: string;
  createdAt: string;
  readAt: string | null;
  metadata: Obj;
  pending?: boolean;
}

export function looksLikeMessage(v: unknown): boolean {
  const o = obj(v);
  return typeof o.id === 'string' && typeof o.content === 'string' && typeof o.sender === 'string';
}

export function normalizeMessage(body: unknown): ChatMessage {
  const o = obj(obj(body).message && looksLikeMessage(obj(body).message) ? obj(body).message : body);
  const sender = str(o.sender);
  return {
    id: str(o.id ?? o.messageId) ?? '',
    petId: str(o.petId),
    sender: sender === 'user' || sender === 'pet' ? sender : 'system',
    content: str(o.content) ?? '',
    createdAt: str(o.createdAt ?? o.at) ?? new Date().toISOString(),
    readAt: str(o.readAt),
    metadata: obj(o.metadata),
  };
}

/** Every message object found in an answer (the user's message and the pet's reply, whatever the wrapping). */
export function messagesIn(body: unknown): ChatMessage[] {
  const found: ChatMessage[] = [];
  const visit = (v: unknown, depth: number) => {
    if (depth > 3 || !v || typeof v !== 'object') return;
    if (looksLikeMessage(v)) {
      found.push(normalizeMessage(v));
      return;
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) visit(child, depth + 1);
  };
  visit(body, 0);
  return found;
}

export interface Wallet {
  id: string;
  address: string;
  kind: string;
  petId: string | null;
  balance: string;
  gasBalance: string | null;
  token: string;
}

export function normalizeWallet(v: unknown): Wallet {
  const o = obj(v);
  const balances = obj(o.balances);
  const token = obj(balances.token);
  const gas = obj(balances.gas);
  return {
    id: str(o.id) ?? '',
    address: str(o.address) ?? '',
    kind: str(o.kind) ?? 'user',
    petId: str(o.petId),
    balance: str(token.amount) ?? str(o.balance) ?? str(o.tokenBalance) ?? '0',
    gasBalance: str(gas.amount) ?? str(o.gasBalance),
    token: str(token.symbol) ?? str(o.tokenSymbol) ?? 'USDC',
  };
}

export interface Transaction {
  id: string;
  hash: string | null;
  from: string;
  to: string;
  amount: string;
  token: string;
  type: string;
  status: string;
  blockNumber: string | null;
  gasUsed: string | null;
  gasFee: string | null;
  at: string;
  memo: string | null;
  error: string | null;
  /** The users on either side by name, when the API gives them (else their addresses are shown). */
  fromName: string | null;
  toName: string | null;
  /** The pet the transfer concerns (the sending or receiving pet wallet's pet), if any. */
  petId: string | null;
}

/** Who a transfer would reach (GET /transfers/recipient), shown in the send form's review. */
export interface Recipient {
  to: string;
  address: string;
  via: 'address' | 'email' | 'basename';
  name: string | null;
  /** The pet's name when the address is the wallet of one of the caller's pets (older APIs leave it out). */
  petName?: string | null;
}

export function normalizeRecipient(v: unknown): Recipient {
  const o = obj(v);
  const via = str(o.via);
  return {
    to: str(o.to) ?? '',
    address: str(o.address) ?? '',
    via: via === 'email' || via === 'basename' ? via : 'address',
    name: str(o.name),
    petName: str(o.petName),
  };
}

export function normalizeTx(v: unknown): Transaction {
  const o = obj(obj(v).transaction ?? v);
  const meta = obj(o.metadata);
  return {
    id: str(o.id ?? o.transactionId) ?? '',
    hash: str(o.transactionHash ?? o.hash),
    from: str(o.from ?? o.fromAddress) ?? '',
    to: str(o.to ?? o.toAddress) ?? '',
    amount: str(o.amount) ?? '0',
    token: str(o.token) ?? 'USDC',
    type: str(o.type) ?? 'transfer',
    status: str(o.status) ?? 'queued',
    blockNumber: str(o.blockNumber),
    gasUsed: str(o.gasUsed),
    gasFee: str(o.gasFee),
    at: str(o.timestamp ?? o.createdAt ?? o.at) ?? '',
    memo: str(o.memo ?? meta.memo),
    error: str(o.error ?? o.reason),
    fromName: str(o.fromName),
    toName: str(o.toName),
    petId: str(o.petId),
  };
}

export interface Intent {
  id: string;
  status: string;
  amount: string;
  memo: string | null;
  requesterId: string | null;
  payerId: string | null;
  requester: string | null;
  /** The requester's display name, when the API gives it (else the requester's address is shown). */
  requesterName: string | null;
  token: string;
  payer: string | null;
  /** The payer's display name, when the API gives it (else the payer's email or address is shown). */
  payerName?: string | null;
  expiresAt: string | null;
  createdAt: string | null;
}

export function normalizeIntent(v: unknown): Intent {
  const o = obj(obj(v).intent ?? v);
  const who = (x: unknown) => str(x) ?? str(obj(x).email ?? obj(x).name ?? obj(x).address);
  return {
    id: str(o.id ?? o.intentId) ?? '',
    status: str(o.status) ?? 'created',
    amount: str(o.amount) ?? '0',
    memo: str(o.memo),
    requesterId: str(o.requesterId),
    payerId: str(o.payerId),
    requester: who(o.requester ?? o.requesterEmail ?? o.to),
    requesterName: str(o.requesterName),
    token: str(o.token) ?? 'USDC',
    payer: who(o.payer ?? o.payerEmail ?? o.payerAddress),
    payerName: str(o.payerName),
    expiresAt: str(o.expiresAt),
    createdAt: str(o.createdAt),
  };
}

export interface Notification {
  id: string;
  type: string;
  priority: string;
  title: string;
  body: string;
  createdAt: string;
  readAt: string | null;
  data: Obj;
}

export function normalizeNotification(v: unknown): Notification {
  const o = obj(obj(v).notification ?? v);
  return {
    id: str(o.id ?? o.notificationId) ?? '',
    type: str(o.type) ?? 'system_announcement',
    priority: str(o.priority) ?? 'normal',
    title: str(o.title) ?? '',
    body: str(o.body ?? o.message) ?? '',
    createdAt: str(o.createdAt ?? o.at) ?? new Date().toISOString(),
    readAt: str(o.readAt),
    data: obj(o.data),
  };
}

export function unreadCountOf(body: unknown): number {
  const o = obj(body);
  return num(o.count ?? o.unread ?? o.unreadCount ?? o.total);
}

export interface Activity {
  id: string;
  action: string;
  category: string;
  details: string;
  at: string;
  petId: string | null;
  /** Whether the reader did it (`actor`) or it was done to them (`subject`). */
  role: 'actor' | 'subject' | null;
}

export function normalizeActivity(v: unknown): Activity {
  const o = obj(v);
  const details = o.details;
  return {
    id: str(o.id) ?? `${str(o.timestamp)}-${str(o.action)}`,
    action: str(o.action) ?? '',
    category: str(o.category) ?? 'system',
    details: typeof details === 'string' ? details : details && typeof details === 'object' ? JSON.stringify(details) : '',
    at: str(o.timestamp ?? o.createdAt ?? o.at) ?? '',
    petId: str(o.petId),
    role: ((r) => (r === 'actor' || r === 'subject' ? r : null))(obj(o.metadata).role),
  };
}

/** [{key, count}] from either an array of rows or a {key: count} map. */
export function countsOf(v: unknown, keyField: string): { key: string; count: number }[] {
  if (Array.isArray(v)) return v.map((r) => ({ key: String(obj(r)[keyField] ?? obj(r).key ?? obj(r).date ?? obj(r).hour ?? ''), count: num(obj(r).count ?? obj(r).total) }));
  return Object.entries(obj(v)).map(([key, count]) => ({ key, count: num(count) }));
}

export { obj, str, num };
