import { sql, type Selectable } from 'kysely';
import type { Executor } from '../platform/db/db.transaction.js';
import { compiledOnce } from '../platform/db/db.compiled.js';
import type { SubstringGroup } from './chat.search.js';
import type { ChatMessagesTable } from './chat.tables.js';

export type MessageRow = Omit<Selectable<ChatMessagesTable>, 'search'>;

export interface MessageFilter {
  petId: string;
  unreadOnly?: boolean;
  since?: Date;
  /**
   * Full-text query and the regconfigs messages are stored with; each message is matched with q parsed in
   * its own, and messages stored with 'simple' (Japanese, Chinese) by the query's substring groups.
   */
  search?: { q: string; configs: readonly string[]; substrings: SubstringGroup[] };
}

const columns = ['id', 'user_id', 'pet_id', 'sender', 'content', 'lang', 'metadata', 'created_at', 'read_at'] as const;

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function filtered(ex: Executor, f: MessageFilter) {
  let q = ex.selectFrom('chat_messages').where('pet_id', '=', f.petId);
  if (f.unreadOnly) q = q.where('read_at', 'is', null);
  if (f.since) q = q.where('created_at', '>=', f.since);
  if (f.search) {
    const { q: text, configs, substrings } = f.search;
    const parsed = sql.join(configs.map((c) => sql`when ${c}::regconfig then websearch_to_tsquery(${c}::regconfig, ${text})`), sql` `);
    const contains = (term: string) => sql<boolean>`content ilike ${`%${escapeLike(term)}%`}`;
    const groups = substrings.map(({ all, none }) =>
      sql<boolean>`(${sql.join([...all.map(contains), ...none.map((t) => sql`not ${contains(t)}`)], sql` and `)})`);
    q = q.where((eb) =>
      eb.or([
        // one constant query per configuration (folded at planning), picked by the row's own lang
        sql<boolean>`lang <> 'simple'::regconfig and search @@ (case lang ${parsed} else websearch_to_tsquery('simple', ${text}) end)`,
        // CJK has no word breaks for the 'simple' parser: words are found (or left out) as substrings there
        groups.length ? sql<boolean>`lang = 'simple'::regconfig and (${sql.join(groups, sql` or `)})` : sql<boolean>`false`,
      ]),
    );
  }
  return q;
}

const insertWithThreads = compiledOnce((_db, rows: string) => {
  const cols = sql.join(columns.map((c) => sql.id(c)));
  return sql`with stored as (
      insert into chat_messages (${cols}) select ${cols} from jsonb_populate_recordset(null::chat_messages, ${rows}::jsonb)
      returning user_id, pet_id, sender, created_at)
    insert into chat_threads (user_id, pet_id, total, unread, last_message_at)
    select user_id, pet_id, count(*), count(*) filter (where sender <> 'user'), max(created_at) from stored group by user_id, pet_id
    on conflict (pet_id) do update set
      total = chat_threads.total + excluded.total,
      unread = chat_threads.unread + excluded.unread,
      last_message_at = greatest(chat_threads.last_message_at, excluded.last_message_at)`;
});

/** The newest `n` messages of each pet, newest first per pet. */
const newestOfEach = compiledOnce((db, petIds: string[], n: number) =>
  db
    .selectFrom(sql<{ id: string }>`(select unnest(${petIds}::uuid[]) as id)`.as('p'))
    .innerJoinLateral(
      (eb) => eb.selectFrom('chat_messages').select([...columns]).whereRef('chat_messages.pet_id', '=', 'p.id')
        .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(n).as('m'),
      (join) => join.onTrue(),
    )
    .selectAll('m'));

export const chatRepo = {
  /** Every message and conversation counter of a user (account deletion). */
  async removeAllOfUser(ex: Executor, userId: string): Promise<void> {
    await ex.deleteFrom('chat_messages').where('user_id', '=', userId).execute();
    await ex.deleteFrom('chat_threads').where('user_id', '=', userId).execute();
  },

  /**
   * Inserts messages and adds them to their conversations' counters (total, unread for the pet's
   * and the system's, last message time) in one statement; the rows go as one parameter (a JSON
   * array), so the statement text is the same for any number of rows.
   */
  async insert(ex: Executor, rows: MessageRow[]): Promise<void> {
    if (rows.length) await insertWithThreads(ex, JSON.stringify(rows));
  },

  /** A page in time order: newest first by default, oldest first after `since`; keyset on (created_at, id). */
  async page(ex: Executor, f: MessageFilter, limit: number, after: { at: Date; id: string } | null): Promise<MessageRow[]> {
    const ascending = !!f.since;
    let q = filtered(ex, f).select([...columns]);
    if (after) {
      const op = ascending ? '>' : '<';
      q = q.where((eb) => eb.or([eb('created_at', op, after.at), eb.and([eb('created_at', '=', after.at), eb('id', op, after.id)])]));
    }
    const dir = ascending ? 'asc' : 'desc';
    return q.orderBy('created_at', dir).orderBy('id', dir).limit(limit).execute();
  },

  async count(ex: Executor, f: MessageFilter): Promise<number> {
    const row = await filtered(ex, f).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** The last n messages of each of several conversations, oldest first per pet (context for batched replies). */
  async recentMany(ex: Executor, petIds: string[], n: number): Promise<Map<string, MessageRow[]>> {
    const out = new Map<string, MessageRow[]>(petIds.map((id) => [id, []]));
    if (!petIds.length) return out;
    const rows = await newestOfEach(ex, petIds, n);
    for (const row of rows) out.get(row.pet_id)?.push(row);
    const order = (a: MessageRow, b: MessageRow) => a.created_at.getTime() - b.created_at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    for (const list of out.values()) list.sort(order);
    return out;
  },

  async markRead(ex: Executor, petId: string, ids: string[] | 'all', at: Date): Promise<number> {
    let q = ex.updateTable('chat_messages').set({ read_at: at }).where('pet_id', '=', petId).where('read_at', 'is', null);
    if (ids !== 'all') q = q.where('id', 'in', ids.length ? ids : ['00000000-0000-0000-0000-000000000000']);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows);
  },

  /** Deletes messages; returns how many went and how many of those were unread. */
  async remove(ex: Executor, petId: string, ids: string[] | 'all'): Promise<{ deleted: number; unread: number }> {
    let q = ex.deleteFrom('chat_messages').where('pet_id', '=', petId);
    if (ids !== 'all') q = q.where('id', 'in', ids);
    const rows = await q.returning(['read_at']).execute();
    return { deleted: rows.length, unread: rows.filter((r) => r.read_at === null).length };
  },

  /** Adds to a conversation's counters (creating the row on first message). */
  async bumpThread(ex: Executor, userId: string, petId: string, total: number, unread: number, at: Date | null): Promise<void> {
    await ex
      .insertInto('chat_threads')
      .values({ user_id: userId, pet_id: petId, total: Math.max(0, total), unread: Math.max(0, unread), last_message_at: at })
      .onConflict((oc) =>
        oc.column('pet_id').doUpdateSet({
          total: sql`greatest(0, chat_threads.total + ${total})`,
          unread: sql`greatest(0, chat_threads.unread + ${unread})`,
          last_message_at: sql`coalesce(${at}::timestamptz, chat_threads.last_message_at)`,
        }),
      )
      .execute();
  },

  async resetThread(ex: Executor, petId: string): Promise<void> {
    await ex.updateTable('chat_threads').set({ total: 0, unread: 0 }).where('pet_id', '=', petId).execute();
  },

  async thread(ex: Executor, petId: string): Promise<{ total: number; unread: number } | undefined> {
    return ex.selectFrom('chat_threads').select(['total', 'unread']).where('pet_id', '=', petId).executeTakeFirst();
  },

  /** Unread counts for each of a user's live pets. */
  async unreadByPet(ex: Executor, userId: string): Promise<Array<{ pet_id: string; name: string; unread: number }>> {
    return ex
      .selectFrom('pets')
      .leftJoin('chat_threads', 'chat_threads.pet_id', 'pets.id')
      .select(['pets.id as pet_id', 'pets.name', sql<number>`coalesce(chat_threads.unread, 0)`.as('unread')])
      .where('pets.user_id', '=', userId)
      .where('pets.deleted_at', 'is', null)
      .orderBy('pets.created_at')
      .execute();
  },
};
