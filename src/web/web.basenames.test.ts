import { describe, expect, it } from 'vitest';
import { readBasenames } from '../../web/src/basenames.js';
import type { myBasenamesSchema } from '../wallets/basenames.schema.js';
import type { z } from 'zod';

type Answer = z.infer<typeof myBasenamesSchema>;

const mine = new Set(['w-alice', 'w-alice-pet']);
const hash = `0x${'ab'.repeat(32)}`;
const entry = (over: Partial<Answer['history'][number]>): Answer['history'][number] => ({
  id: 'h',
  name: 'alice',
  action: 'registered',
  walletId: 'w-alice',
  transactionId: null,
  transactionHash: null,
  transactionStatus: null,
  cost: '0',
  expiresAt: '2027-11-25T10:00:00.000Z',
  createdAt: '2026-11-25T10:00:00.000Z',
  ...over,
});

describe('the Names tab', () => {
  it('keeps the history of a name given away, which the list of held names no longer has', () => {
    // GET /basenames after Alice gave her only name to Bob
    const answer: Answer = {
      basenames: [],
      history: [
        entry({ id: 'h2', action: 'transferred', walletId: 'w-bob', createdAt: '2026-11-25T11:00:00.000Z' }),
        entry({ id: 'h1', action: 'registered', cost: '1', transactionId: 't1', transactionHash: hash, transactionStatus: 'confirmed' }),
      ],
    };
    const { names, records } = readBasenames(answer, mine);
    expect(names).toEqual([]);
    expect(records).toEqual([
      {
        name: 'alice',
        held: false,
        events: [
          { id: 'h2', action: 'transferredAway', cost: null, hash: null, txStatus: null, expiresAt: '2027-11-25T10:00:00.000Z', at: '2026-11-25T11:00:00.000Z' },
          { id: 'h1', action: 'registered', cost: '1', hash, txStatus: 'confirmed', expiresAt: '2027-11-25T10:00:00.000Z', at: '2026-11-25T10:00:00.000Z' },
        ],
      },
    ]);
  });

  it('tells a name received from one given away, and lists the names held now with the newest history first', () => {
    const answer: Answer = {
      basenames: [{ name: 'gift', walletId: 'w-alice', address: '0x1', registeredAt: '2026-11-20T00:00:00.000Z', expiresAt: '2027-11-20T00:00:00.000Z', transactionId: null }],
      history: [
        entry({ id: 'h3', name: 'gift', action: 'transferred', walletId: 'w-alice', createdAt: '2026-11-25T12:00:00.000Z' }),
        entry({ id: 'h2', name: 'alice', action: 'updated', walletId: 'w-alice-pet', createdAt: '2026-11-25T11:00:00.000Z' }),
      ],
    };
    const { names, records } = readBasenames(answer, mine);
    expect(names).toEqual([{ name: 'gift', walletId: 'w-alice', address: '0x1', expiresAt: '2027-11-20T00:00:00.000Z' }]);
    expect(records.map((r) => [r.name, r.held, r.events.map((e) => e.action)])).toEqual([
      ['gift', true, ['received']],
      ['alice', false, ['updated']],
    ]);
  });

  it('reads an empty or odd answer as no names', () => {
    expect(readBasenames({ basenames: [], history: [] }, mine)).toEqual({ names: [], records: [] });
    expect(readBasenames(undefined, mine)).toEqual({ names: [], records: [] });
    expect(readBasenames({ basenames: [{}], history: [{ action: 'registered' }] }, mine)).toEqual({ names: [], records: [] });
  });
});
