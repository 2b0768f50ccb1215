/** What happened to a name, as the Names tab tells it: a transfer reads from the side of the reader. */
export const NAME_ACTIONS = ['registered', 'updated', 'transferredAway', 'received'] as const;
export type NameAction = (typeof NAME_ACTIONS)[number];

/** A name the user holds now. */
export interface HeldName {
  name: string;
  walletId: string | null;
  address: string | null;
  expiresAt: string | null;
}

/** One entry of a name's history (GET /basenames `history`). */
export interface NameEvent {
  id: string;
  action: NameAction;
  /** The fee paid, when there was one (a registration); null for a free update or transfer. */
  cost: string | null;
  hash: string | null;
  txStatus: string | null;
  expiresAt: string | null;
  at: string | null;
}

/** A name the user holds or once held, with its history, newest first. */
export interface NameRecord {
  name: string;
  held: boolean;
  events: NameEvent[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);

function actionOf(action: string | null, walletId: string | null, mine: ReadonlySet<string>): NameAction {
  if (action === 'transferred') return walletId && mine.has(walletId) ? 'received' : 'transferredAway';
  return action === 'updated' ? 'updated' : 'registered';
}

/**
 * GET /basenames ({basenames, history}) for the Names tab: the names held now, and every name in the
 * history — also those given away since — with its entries. `myWalletIds` tells a name received (it
 * went to one of the reader's wallets) from one given away.
 */
export function readBasenames(body: unknown, myWalletIds: ReadonlySet<string>): { names: HeldName[]; records: NameRecord[] } {
  const o = obj(body);
  const names = list(o.basenames ?? o.names).flatMap((b) => {
    const name = str(b.name);
    return name ? [{ name, walletId: str(b.walletId), address: str(b.address), expiresAt: str(b.expiresAt) }] : [];
  });
  const held = new Set(names.map((n) => n.name));
  const records = new Map<string, NameRecord>();
  for (const h of list(o.history)) {
    const name = str(h.name);
    if (!name) continue;
    const cost = str(h.cost);
    const record = records.get(name) ?? { name, held: held.has(name), events: [] };
    records.set(name, record);
    record.events.push({
      id: str(h.id) ?? `${name}-${record.events.length}`,
      action: actionOf(str(h.action), str(h.walletId), myWalletIds),
      cost: cost && /[1-9]/.test(cost) ? cost : null,
      hash: str(h.transactionHash),
      txStatus: str(h.transactionStatus),
      expiresAt: str(h.expiresAt),
      at: str(h.createdAt),
    });
  }
  const newest = (r: NameRecord) => Math.max(...r.events.map((e) => Date.parse(e.at ?? '') || 0));
  return { names, records: [...records.values()].sort((a, b) => newest(b) - newest(a)) };
}
