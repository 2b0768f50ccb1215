import { uuidv7 } from 'uuidv7';
import type { AppDeps } from '../platform/deps.js';
import { withTransaction, type Executor, type Tx } from '../platform/db/db.transaction.js';
import { AppError } from '../platform/http/http.errors.js';
import { hasVisibleText } from '../platform/http/http.text.js';
import type { RequestContext } from '../platform/http/http.context.js';
import { decodeCursor, encodeCursor } from '../platform/http/http.pagination.js';
import { petError } from '../pets/pets.errors.js';
import { isLocale, translate, type Locale } from '../platform/i18n/i18n.service.js';
import type { PetsService, PetView } from '../pets/pets.service.js';
import { ChatCommandUsageError, type ChatCommandContext, type ChatCommandReply } from './chat.commands.js';
import { chatError } from './chat.errors.js';
import { Batcher } from '../platform/batching/batching.batcher.js';
import { chatRepo, type MessageFilter, type MessageRow } from './chat.repo.js';
import { clipText, PersonaProvider, StreamedReply, type ReplyContext, type ReplyProvider } from './chat.reply.js';
import { substringGroups } from './chat.search.js';
import type { Sender } from './chat.tables.js';

export interface MessageView {
  id: string;
  petId: string;
  sender: Sender;
  content: string;
  createdAt: string;
  readAt: string | null;
  metadata: Record<string, unknown>;
}

/** Callbacks for a streamed exchange: the stored user message, each reply token, and a restart after a provider failure. */
export interface ExchangeHooks {
  onStored?(message: MessageView): void;
  onToken?(token: string): void;
  onReset?(): void;
}

interface ExchangeRequest {
  ctx: RequestContext;
  petId: string;
  content: string;
}
interface ExchangeResult {
  result: { message: MessageView; reply: MessageView };
  tokens: string[];
}

/** The owner's message once stored, with what its reply is written and stored with. */
interface StoredMessage {
  message: MessageView;
  locale: Locale;
  pet: PetView;
  userId: string;
}
interface Reply {
  sender: 'pet' | 'system';
  content: string;
  metadata: Record<string, unknown>;
}

export interface ListQuery {
  limit: number;
  cursor?: string;
  unreadOnly?: boolean;
  since?: Date;
  q?: string;
}

/** Postgres text-search configurations for our locales; 'simple' where Postgres has no stemmer. */
const REGCONFIG: Record<Locale, string> = {
  en: 'english', fr: 'french', es: 'spanish', de: 'german', it: 'italian', pt: 'portuguese', ja: 'simple', zh: 'simple',
};
/** Every configuration a stored message can have (its lang), for matching a search in each message's own. */
const SEARCH_CONFIGS = [...new Set(Object.values(REGCONFIG))];
const CONTEXT_MESSAGES = 12;
/** Persona exchanges per shared transaction, and how many such transactions run at once. */
const EXCHANGE_BATCH = { maxBatch: 64, concurrency: 2 };
const MAX_CONTENT = 2000;
const EXPORT_PAGE = 500;
/** The columns of a CSV chat export, in order. */
export const CHAT_CSV_COLUMNS = ['createdAt', 'id', 'petId', 'sender', 'content', 'readAt', 'metadata'] as const;

export function regconfigFor(locale: string): string {
  return isLocale(locale) ? REGCONFIG[locale] : 'simple';
}

function toView(row: MessageRow): MessageView {
  return {
    id: row.id,
    petId: row.pet_id,
    sender: row.sender,
    content: row.content,
    createdAt: row.created_at.toISOString(),
    readAt: row.read_at ? row.read_at.toISOString() : null,
    metadata: (row.metadata ?? {}) as Record<string, unknown>,
  };
}

/** "/name arg1 arg2" → the command name and its whitespace-split arguments. */
export function parseCommand(content: string): { name: string; args: string[] } | null {
  const m = /^\/([a-z][\w-]{0,31})(?:\s+([\s\S]*))?$/i.exec(content.trim());
  if (!m) return null;
  return { name: m[1].toLowerCase(), args: (m[2] ?? '').split(/\s+/).filter(Boolean) };
}

/** Chat with a pet: storage, history, read state, replies (persona or an OpenAI-compatible model) and slash commands. */
export class ChatService {
  private readonly persona = new PersonaProvider();
  private readonly exchanges = new Batcher<ExchangeRequest, ExchangeResult>((items) => this.exchangeBatch(items), EXCHANGE_BATCH);

  constructor(
    private readonly deps: AppDeps,
    private readonly pets: PetsService,
    /** The model provider when configured; the persona engine answers otherwise and whenever it fails. */
    private readonly provider: ReplyProvider | null,
  ) {}

  private now(): Date {
    return this.pets.clock.now();
  }

  /**
   * Stores the owner's message (committed before any reply is generated, so it is never lost),
   * then the pet's reply or the command's answer; returns both. Streams reply tokens through hooks.
   */
  async post(ctx: RequestContext, petId: string, content: string, hooks: ExchangeHooks = {}): Promise<{ message: MessageView; reply: MessageView }> {
    const command = parseCommand(content);
    if (!command && !this.provider) return this.personaExchange(ctx, petId, content, hooks);
    const first = await withTransaction(this.deps.db, (trx) => this.storeUserMessage(trx, ctx, petId, content, command?.name ?? null));
    hooks.onStored?.(first.message);

    if (command) {
      const reply = await this.runCommand(command.name, command.args, { ...ctx, locale: first.locale, petId });
      hooks.onToken?.(reply.content);
      return { message: first.message, reply: await this.storeReply(ctx, first, petId, reply, false) };
    }
    try {
      return { message: first.message, reply: await this.modelReply(ctx, first, petId, content, hooks) };
    } catch (err) {
      // typing started with the message: it must end even when no reply comes
      await withTransaction(this.deps.db, (trx) => this.typing(trx, ctx, first.userId, petId, false))
        .catch((e: unknown) => this.deps.logger.error({ err: e }, 'could not record the end of typing'));
      throw err;
    }
  }

  /** The model's reply stored with the end of typing; the persona engine's instead if the database refuses the model's (the stream is reset). */
  private async modelReply(ctx: RequestContext, first: StoredMessage, petId: string, content: string, hooks: ExchangeHooks): Promise<MessageView> {
    const context = await this.replyContext(this.deps.db, first, petId, content);
    const reply = await this.generate(context, hooks);
    try {
      return await this.storeReply(ctx, first, petId, reply, true);
    } catch (err) {
      // a refusal of ours (the pet is gone) applies to any reply
      if (reply.metadata.fallback || err instanceof AppError) throw err;
      this.deps.logger.warn({ err: (err as Error).message }, 'model reply could not be stored; persona engine answers');
      hooks.onReset?.();
      return this.storeReply(ctx, first, petId, await this.personaReply(context, hooks), true);
    }
  }

  private storeReply(ctx: RequestContext, first: StoredMessage, petId: string, reply: Reply, endTyping: boolean): Promise<MessageView> {
    return withTransaction(this.deps.db, async (trx) => {
      await this.pets.requirePet(trx, ctx, petId, { lock: true });
      const view = await this.store(trx, first.userId, petId, reply.sender, reply.content, first.locale, reply.metadata, this.now(), ctx);
      if (endTyping) await this.typing(trx, ctx, first.userId, petId, false);
      return view;
    });
  }

  /**
   * Without a model the persona engine answers at once, so the message, the typing events and the
   * reply commit together. Exchanges arriving together share one transaction (see Batcher): one
   * commit and a handful of statements for the whole batch. Tokens are handed out after the commit.
   */
  private async personaExchange(ctx: RequestContext, petId: string, content: string, hooks: ExchangeHooks) {
    const { result, tokens } = await this.exchanges.run({ ctx, petId, content });
    hooks.onStored?.(result.message);
    for (const token of tokens) hooks.onToken?.(token);
    return result;
  }

  /** One batch of persona exchanges in one transaction; if it fails as a whole, each exchange is retried on its own. */
  private async exchangeBatch(items: ExchangeRequest[]): Promise<Array<ExchangeResult | Error>> {
    try {
      return await withTransaction(this.deps.db, (trx) => this.exchangeMany(trx, items));
    } catch (err) {
      if (items.length === 1) throw err;
      return Promise.all(items.map((item) => withTransaction(this.deps.db, (trx) => this.exchangeMany(trx, [item])).then((r) => r[0], (e: Error) => e)));
    }
  }

  /** Credits each pet, writes each persona reply from its recent history, stores all messages (and their thread counters) at once. */
  private async exchangeMany(trx: Tx, items: ExchangeRequest[]): Promise<Array<ExchangeResult | Error>> {
    // the recent history is read on another connection while the pets are locked and credited: one
    // wait fewer per batch. It is only a reply's context (a pet the sender does not own gets no reply),
    // and an exchange still in flight for the same pet may be missing from it, as it would be anyway.
    const reading = chatRepo.recentMany(this.deps.db, [...new Set(items.map((i) => i.petId))], CONTEXT_MESSAGES);
    reading.catch(() => undefined);
    const activities = await this.pets.chatActivityMany(trx, items.map((i) => ({ actor: i.ctx, petId: i.petId })));
    const recent = await reading;
    const now = this.now();
    const rows: MessageRow[] = [];
    const out: Array<ExchangeResult | Error> = [];
    for (const [i, item] of items.entries()) {
      const activity = activities[i];
      if ('error' in activity) {
        out.push(activity.error);
        continue;
      }
      const locale: Locale = isLocale(activity.row.owner_locale) ? activity.row.owner_locale : 'en';
      const userId = activity.row.user_id;
      const history = recent.get(item.petId) ?? [];
      const context: ReplyContext = {
        pet: activity.pet, locale, content: item.content, now,
        history: history.slice(-CONTEXT_MESSAGES).map((m) => ({ sender: m.sender, content: m.content, at: m.created_at })),
      };
      const tokens: string[] = [];
      const text = await this.persona.generate(context, (t) => tokens.push(t));
      const mood = activity.pet.mood;
      const message = newMessage(userId, item.petId, 'user', item.content, locale, { mood, xpGained: activity.xpGained }, now);
      const reply = newMessage(userId, item.petId, 'pet', text, locale, { mood, provider: 'persona' }, now);
      rows.push(message, reply);
      history.push(message, reply);
      recent.set(item.petId, history);
      await this.created(trx, item.ctx, message);
      await this.typing(trx, item.ctx, userId, item.petId, true);
      await this.created(trx, item.ctx, reply);
      await this.typing(trx, item.ctx, userId, item.petId, false);
      out.push({ result: { message: toView(message), reply: toView(reply) }, tokens });
    }
    await chatRepo.insert(trx, rows);
    return out;
  }

  /** Locks the pet, credits the activity and stores the owner's message (typing starts unless it is a command). */
  private async storeUserMessage(trx: Tx, ctx: RequestContext, petId: string, content: string, command: string | null): Promise<StoredMessage> {
    const activity = await this.pets.chatActivity(trx, ctx, petId, { credit: !command });
    const locale: Locale = isLocale(activity.row.owner_locale) ? activity.row.owner_locale : 'en';
    const metadata: Record<string, unknown> = command ? { command } : { mood: activity.pet.mood, xpGained: activity.xpGained };
    const message = await this.store(trx, activity.row.user_id, petId, 'user', content, locale, metadata, this.now(), ctx);
    if (!command) await this.typing(trx, ctx, activity.row.user_id, petId, true);
    return { message, locale, pet: activity.pet, userId: activity.row.user_id };
  }

  private async replyContext(ex: Executor, first: StoredMessage, petId: string, content: string): Promise<ReplyContext> {
    const recent = ((await chatRepo.recentMany(ex, [petId], CONTEXT_MESSAGES + 1)).get(petId) ?? []).filter((m) => m.id !== first.message.id);
    return {
      pet: first.pet,
      locale: first.locale,
      content,
      now: this.now(),
      history: recent.map((m) => ({ sender: m.sender, content: m.content, at: m.created_at })),
    };
  }

  /** A page of the conversation (owner or admin): newest first, or oldest first from `since`; optional full-text q. */
  async list(ctx: RequestContext, petId: string, query: ListQuery) {
    const pet = await this.pets.requirePet(this.deps.db, ctx, petId);
    const filter: MessageFilter = { petId: pet.id, unreadOnly: query.unreadOnly, since: query.since };
    if (query.q) filter.search = { q: query.q, configs: SEARCH_CONFIGS, substrings: substringGroups(query.q) };
    const position = cursorPosition(query.cursor);
    const plain = !query.unreadOnly && !query.since && !query.q;
    const [rows, total] = await Promise.all([
      chatRepo.page(this.deps.db, filter, query.limit + 1, position),
      plain ? chatRepo.thread(this.deps.db, pet.id).then((t) => t?.total ?? 0) : chatRepo.count(this.deps.db, filter),
    ]);
    const hasMore = rows.length > query.limit;
    const page = hasMore ? rows.slice(0, query.limit) : rows;
    const last = page[page.length - 1];
    return {
      messages: page.map(toView),
      total,
      hasMore,
      nextCursor: hasMore && last ? encodeCursor({ k: last.created_at.toISOString(), id: last.id }) : null,
    };
  }

  /**
   * The whole conversation for export, oldest first, read a page at a time. The pet is checked
   * before anything streams; a deleted pet's history stays exportable by its owner (or an admin).
   */
  async exportRows(ctx: RequestContext, petId: string): Promise<AsyncGenerator<MessageView>> {
    const pet = await this.pets.requirePet(this.deps.db, ctx, petId, { includeDeleted: true });
    return this.allMessages(pet.id);
  }

  private async *allMessages(petId: string): AsyncGenerator<MessageView> {
    const filter: MessageFilter = { petId, since: new Date(0) };
    let after: { at: Date; id: string } | null = null;
    for (;;) {
      const rows = await chatRepo.page(this.deps.db, filter, EXPORT_PAGE, after);
      for (const row of rows) yield toView(row);
      if (rows.length < EXPORT_PAGE) return;
      after = { at: rows[rows.length - 1].created_at, id: rows[rows.length - 1].id };
    }
  }

  /** Marks messages (or all) as read; returns how many changed. */
  async markRead(ctx: RequestContext, petId: string, ids: string[] | 'all'): Promise<number> {
    return withTransaction(this.deps.db, async (trx) => {
      const pet = await this.ownedPet(trx, ctx, petId);
      const updated = await chatRepo.markRead(trx, pet.id, ids, this.now());
      if (updated) {
        await chatRepo.bumpThread(trx, pet.user_id, pet.id, 0, -updated, null);
        await this.deps.events.record(trx, { type: 'chat.messages_read', actorId: ctx.user.id, userIds: [pet.user_id], petId: pet.id, data: { messageIds: ids, updated }, context: ctx });
      }
      return updated;
    });
  }

  /** On account deletion (the account.deleted event): every conversation of the user is deleted. */
  async eraseUser(trx: Tx, userId: string): Promise<void> {
    await chatRepo.removeAllOfUser(trx, userId);
  }

  /** Deletes one message, or the whole conversation with ids = 'all'. */
  async remove(ctx: RequestContext, petId: string, ids: string[] | 'all'): Promise<number> {
    return withTransaction(this.deps.db, async (trx) => {
      const pet = await this.ownedPet(trx, ctx, petId);
      const { deleted, unread } = await chatRepo.remove(trx, pet.id, ids);
      if (ids !== 'all' && deleted === 0) throw chatError('chat_message_not_found');
      if (ids === 'all') await chatRepo.resetThread(trx, pet.id);
      else await chatRepo.bumpThread(trx, pet.user_id, pet.id, -deleted, -unread, null);
      if (deleted) {
        await this.deps.events.record(trx, { type: 'chat.messages_deleted', actorId: ctx.user.id, userIds: [pet.user_id], petId: pet.id, data: { messageIds: ids, deleted }, context: ctx });
      }
      return deleted;
    });
  }

  /** Unread messages per live pet of the caller. */
  async unread(ctx: RequestContext) {
    const rows = await chatRepo.unreadByPet(this.deps.db, ctx.user.id);
    const pets = rows.map((r) => ({ petId: r.pet_id, name: r.name, unread: Number(r.unread) }));
    return { pets, total: pets.reduce((n, p) => n + p.unread, 0) };
  }

  private async ownedPet(trx: Tx, ctx: RequestContext, petId: string) {
    const pet = await this.pets.requirePet(trx, ctx, petId, { lock: true });
    if (pet.user_id !== ctx.user.id) throw petError('pet_not_found');
    return pet;
  }

  private async store(
    trx: Tx, userId: string, petId: string, sender: Sender, content: string, locale: Locale,
    metadata: Record<string, unknown>, at: Date, ctx: RequestContext,
  ): Promise<MessageView> {
    const row = newMessage(userId, petId, sender, content, locale, metadata, at);
    await chatRepo.insert(trx, [row]);
    await this.created(trx, ctx, row);
    return toView(row);
  }

  private async created(trx: Tx, ctx: RequestContext, row: MessageRow): Promise<void> {
    await this.deps.events.record(trx, {
      type: 'chat.message_created', actorId: ctx.user.id, userIds: [row.user_id], petId: row.pet_id, context: ctx,
      data: { messageId: row.id, sender: row.sender, content: row.content, createdAt: row.created_at.toISOString() },
    });
  }

  private async typing(trx: Tx, ctx: RequestContext, userId: string, petId: string, typing: boolean): Promise<void> {
    await this.deps.events.record(trx, { type: 'chat.typing', actorId: ctx.user.id, userIds: [userId], petId, data: { typing }, context: ctx });
  }

  /**
   * The model's reply, cleaned as user text must be (no controls but \n and \t, no bidi overrides) and
   * cut at the message size limit before it is streamed (StreamedReply: the stream is what is stored,
   * and the model is hung up on at the limit); or the persona engine's on timeout, error or nothing
   * visible (tokens already streamed are reset).
   */
  private async generate(context: ReplyContext, hooks: ExchangeHooks): Promise<Reply> {
    const provider = this.provider!;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error('reply timed out')), this.deps.config.OPENAI_TIMEOUT_MS);
    let streamed = false;
    const reply = new StreamedReply((t) => {
      streamed = true;
      hooks.onToken?.(t);
    }, MAX_CONTENT);
    try {
      const text = reply.finish(await provider.generate(context, (t) => reply.push(t), abort.signal));
      if (!hasVisibleText(text)) throw new Error('the model reply has no visible text');
      return { sender: 'pet', content: text, metadata: { mood: context.pet.mood, provider: provider.name } };
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message, provider: provider.name }, 'reply provider failed; persona engine answers');
      if (streamed) hooks.onReset?.();
    } finally {
      clearTimeout(timer);
    }
    return this.personaReply(context, hooks);
  }

  private async personaReply(context: ReplyContext, hooks: ExchangeHooks): Promise<Reply> {
    const text = await this.persona.generate(context, (t) => hooks.onToken?.(t));
    return { sender: 'pet', content: text, metadata: { mood: context.pet.mood, provider: 'persona', fallback: true } };
  }

  /** Runs a slash command; unknown commands and bad arguments become a helpful system message, never an error page. */
  private async runCommand(name: string, args: string[], ctx: ChatCommandContext) {
    const t = (key: string, params: Record<string, unknown> = {}) => translate(ctx.locale, key, params);
    const command = this.deps.commands.get(name);
    if (!command) return { sender: 'system' as const, content: t('chat.commands.unknown', { name }), metadata: { command: name, unknown: true } };
    let result: ChatCommandReply;
    try {
      result = await command.run(args, ctx);
    } catch (err) {
      let content: string;
      // the catalog key of the reason, so clients can tell refusals apart without reading the text
      let reason = 'errors.internal.detail';
      if (err instanceof ChatCommandUsageError) {
        reason = err.messageKey;
        const message = t(err.messageKey, { name, ...err.params });
        content = err.withUsage ? `${message}\n${t('chat.commands.usageLine', { usage: t(command.usageKey) })}` : message;
      } else if (err instanceof AppError) {
        reason = `errors.${err.code}.detail`;
        content = t('chat.commands.failed', { reason: t(reason, err.params) });
      } else {
        this.deps.logger.error({ err, command: name }, 'chat command failed');
        content = t('chat.commands.failed', { reason: t('errors.internal.detail') });
      }
      return { sender: 'system' as const, content: clip(content), metadata: { command: name, error: true, reason } };
    }
    return { sender: result.sender ?? ('system' as const), content: clip(result.content), metadata: { ...result.metadata, command: name } };
  }
}

/** A new message row: a v7 id (time-ordered), the owner's text-search language, read already when the owner wrote it. */
function newMessage(userId: string, petId: string, sender: Sender, content: string, locale: Locale, metadata: Record<string, unknown>, at: Date): MessageRow {
  return {
    id: uuidv7(), user_id: userId, pet_id: petId, sender, content, lang: regconfigFor(locale), metadata, created_at: at,
    read_at: sender === 'user' ? at : null,
  };
}

/** A command's answer as a message can hold it: trimmed, cut at the size limit (clipText), never empty. */
function clip(text: string): string {
  return clipText(text, MAX_CONTENT) || '…';
}

/** The (created_at, id) position a cursor names; a tampered one is a 422. */
function cursorPosition(cursor: string | undefined): { at: Date; id: string } | null {
  const position = decodeCursor(cursor);
  return position ? { at: new Date(position.k), id: position.id } : null;
}
