import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../platform/db/db.transaction.js';
import { compiledOnce } from '../platform/db/db.compiled.js';
import type { PetHistoryTable, PetsTable } from './pets.tables.js';

export type PetRow = Selectable<PetsTable>;
/** A pet with what the rules need from its owner. */
export type OwnedPetRow = PetRow & { owner_timezone: string; owner_locale: string };
export type PetHistoryRow = Selectable<PetHistoryTable>;

function withOwner(ex: Executor) {
  return ex
    .selectFrom('pets')
    .innerJoin('users', 'users.id', 'pets.user_id')
    .selectAll('pets')
    .select(['users.timezone as owner_timezone', 'users.locale as owner_locale']);
}

const liveByIds = compiledOnce((db, ids: string[]) =>
  withOwner(db).where('pets.id', '=', sql<string>`any(${ids}::uuid[])`).where('pets.deleted_at', 'is', null).orderBy('pets.id'));
const liveByIdsLocked = compiledOnce((db, ids: string[]) =>
  withOwner(db).where('pets.id', '=', sql<string>`any(${ids}::uuid[])`).where('pets.deleted_at', 'is', null).orderBy('pets.id').forUpdate('pets'));

export const petsRepo = {
  /** A deleted account's pets: soft-deleted with their names and timelines erased (their wallets and ledger rows stay). */
  async eraseOwner(ex: Executor, userId: string): Promise<void> {
    await ex.deleteFrom('pet_history').where('pet_id', 'in', (eb) => eb.selectFrom('pets').select('id').where('user_id', '=', userId)).execute();
    await ex.updateTable('pets').set({ name: '—', deleted_at: sql`coalesce(deleted_at, now())`, updated_at: sql`now()` }).where('user_id', '=', userId).execute();
  },

  async insert(ex: Executor, row: Insertable<PetsTable>): Promise<void> {
    await ex.insertInto('pets').values(row).execute();
  },

  async find(ex: Executor, id: string, opts: { lock?: boolean; includeDeleted?: boolean } = {}): Promise<OwnedPetRow | undefined> {
    let q = withOwner(ex).where('pets.id', '=', id);
    if (!opts.includeDeleted) q = q.where('pets.deleted_at', 'is', null);
    if (opts.lock) q = q.forUpdate('pets');
    return q.executeTakeFirst();
  },

  /** Several live pets with their owners; with lock, locked in id order (so concurrent batches cannot deadlock). */
  async findMany(ex: Executor, ids: string[], opts: { lock?: boolean } = {}): Promise<OwnedPetRow[]> {
    if (!ids.length) return [];
    return (opts.lock ? liveByIdsLocked : liveByIds)(ex, ids);
  },

  async listByUser(ex: Executor, userId: string): Promise<OwnedPetRow[]> {
    return withOwner(ex)
      .where('pets.user_id', '=', userId)
      .where('pets.deleted_at', 'is', null)
      .orderBy('pets.created_at')
      .orderBy('pets.id')
      .execute();
  },

  async countByUser(ex: Executor, userId: string): Promise<number> {
    const row = await ex
      .selectFrom('pets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  async update(ex: Executor, id: string, patch: Updateable<PetsTable>): Promise<void> {
    await ex.updateTable('pets').set(patch).where('id', '=', id).execute();
  },

  /** Writes the given columns of several pets in one statement (the rows carry their new values). */
  async updateMany(ex: Executor, rows: PetRow[], columns: Array<keyof PetsTable>): Promise<void> {
    const cols = columns.filter((c) => c !== 'id');
    if (!rows.length || !cols.length) return;
    const payload = JSON.stringify(rows.map((r) => Object.fromEntries([['id', r.id], ...cols.map((c) => [c, r[c]])])));
    await sql`update pets as p set ${sql.join(cols.map((c) => sql`${sql.id(c)} = v.${sql.id(c)}`))}
      from jsonb_populate_recordset(null::pets, ${payload}::jsonb) as v where p.id = v.id`.execute(ex);
  },

  async lockUser(ex: Executor, userId: string): Promise<boolean> {
    const row = await ex.selectFrom('users').select('id').where('id', '=', userId).forUpdate().executeTakeFirst();
    return !!row;
  },

  async addHistory(ex: Executor, rows: Insertable<PetHistoryTable>[]): Promise<void> {
    if (rows.length) await ex.insertInto('pet_history').values(rows).execute();
  },

  /** Newest first, keyset on (created_at, id). */
  async history(ex: Executor, petId: string, limit: number, before: { at: Date; id: string } | null): Promise<PetHistoryRow[]> {
    let q = ex.selectFrom('pet_history').selectAll().where('pet_id', '=', petId);
    if (before) {
      q = q.where((eb) =>
        eb.or([eb('created_at', '<', before.at), eb.and([eb('created_at', '=', before.at), eb('id', '<', before.id)])]),
      );
    }
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  },

  /** Live pets whose owner has not been told they need care, a page at a time by id (the hourly care sweep). */
  async careUnalerted(ex: Executor, afterId: string | null, limit: number): Promise<OwnedPetRow[]> {
    let q = withOwner(ex).where('pets.deleted_at', 'is', null).where('pets.care_alerted_at', 'is', null);
    if (afterId) q = q.where('pets.id', '>', afterId);
    return q.orderBy('pets.id').limit(limit).execute();
  },

  /** Live pets with a running streak, a page at a time by id (the hourly streak sweep). */
  async withStreak(ex: Executor, afterId: string | null, limit: number): Promise<OwnedPetRow[]> {
    let q = withOwner(ex).where('pets.deleted_at', 'is', null).where('pets.streak', '>', 0);
    if (afterId) q = q.where('pets.id', '>', afterId);
    return q.orderBy('pets.id').limit(limit).execute();
  },
};
